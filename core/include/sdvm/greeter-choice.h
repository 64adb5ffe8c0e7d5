/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which greeter binary runs a theme (issue 16), SDDM 0.21's rule: the theme's metadata.desktop
 * says `QtVersion=6` for a Qt 6 theme; a theme that says nothing (or 5) was written for Qt 5 and
 * runs in the Qt 5 greeter, `<greeter>-qt5`, when that one is installed. The one owner of the
 * rule: sdvmd (which starts the greeter) and sdvm-greeter --test-mode (themers, tests) both ask
 * here. Plain libc, so the daemon (C) and both greeters (C++, Qt 5 and Qt 6) link it.
 *
 * Themes are untrusted: metadata.desktop is read with a bound (64 KiB, lines of 1 KiB), only
 * from a regular file, without blocking; anything odd reads as "no QtVersion" (5).
 */
#ifndef SDVM_GREETER_CHOICE_H
#define SDVM_GREETER_CHOICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDVM_THEME_QT_DEFAULT 5 /* QtVersion absent, as in SDDM */
#define SDVM_GREETER_QT5_SUFFIX "-qt5"

/*
 * QtVersion from [SddmGreeterTheme] of <theme_dir>/metadata.desktop: a decimal 1..99 (spaces
 * and double quotes around it allowed; the last one in the group wins). 5 when the file, the
 * group or the key is missing, unreadable, not a regular file, or the value is not a number.
 */
int sdvm_theme_qt_version(const char *theme_dir);

/*
 * A theme as sdvm-greeter finds it: a name with a '/' is a folder; a name is looked up in
 * dirs (NULL-terminated) in order. Writes the folder to out. 0, -ENOENT (not found, or theme
 * empty), -ENAMETOOLONG.
 */
int sdvm_theme_find(const char *theme, const char *const *dirs, char *out, size_t size);

/*
 * The rule. greeter is the configured greeter ([Greeter] Command's program, e.g.
 * /usr/bin/sdvm-greeter; its -qt5 sibling names the same pair). Writes to out the binary that
 * runs theme: "<greeter>-qt5" when the theme is found, its QtVersion is 5 or less, and that
 * file is executable; else greeter (QtVersion=6, a theme not found, the Qt 5 build absent).
 * Returns the Qt major version of the chosen binary (5 or 6), or -ENAMETOOLONG.
 */
int sdvm_greeter_choose(const char *greeter, const char *theme, const char *const *dirs,
                        char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif
