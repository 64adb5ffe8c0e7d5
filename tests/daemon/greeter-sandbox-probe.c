/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Started by sdvmd's greeter code in place of sdvm-greeter (test-greeter-process): tries what a
 * hostile theme's native code would, and writes one "name=result" line each to $HOME/probe,
 * then sleeps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void
sock(FILE *out, const char *name, int domain, int type)
{
    int fd = socket(domain, type, 0);
    fprintf(out, "%s=%s\n", name, fd >= 0 ? "open" : strerror(errno));
    if (fd >= 0)
        close(fd);
}

int
main(int argc, char **argv)
{
    (void)argc;
    const char *home = getenv("HOME");
    if (!home)
        return 2;
    char path[4096], tmp[4096];
    snprintf(path, sizeof(path), "%s/probe", home);
    snprintf(tmp, sizeof(tmp), "%s/probe.tmp", home);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return 2;

    /* exec: of anything, and of this very program again */
    char *const true_argv[] = {(char *)"/bin/true", NULL};
    execv("/bin/true", true_argv);
    fprintf(out, "exec=%s\n", strerror(errno));
    execv(argv[0], argv);
    fprintf(out, "exec-self=%s\n", strerror(errno));
    syscall(SYS_execveat, AT_FDCWD, "/bin/true", true_argv, NULL, 0);
    fprintf(out, "execveat=%s\n", strerror(errno));
    long r = syscall(SYS_io_uring_setup, 1, NULL);
    fprintf(out, "io_uring=%s\n", r >= 0 ? "open" : strerror(errno));

    sock(out, "inet", AF_INET, SOCK_STREAM);
    sock(out, "inet6", AF_INET6, SOCK_DGRAM);
    sock(out, "packet", AF_PACKET, SOCK_RAW);
    sock(out, "unix", AF_UNIX, SOCK_STREAM);

    /* the network namespace: its inode, compared by the test with its own */
    struct stat st;
    fprintf(out, "netns=%lu\n", stat("/proc/self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0ul);

    /* descriptors beyond 0-2 */
    DIR *d = opendir("/proc/self/fd");
    int extra = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd > 2 && fd != dirfd(d) && fd != fileno(out))
            extra++;
    }
    if (d)
        closedir(d);
    fprintf(out, "extra-fds=%d\n", extra);

    /* the file-system view (issue 14 §1): a directory listing of /etc, a file the test made
     * outside the allowed trees, a write there and in /tmp, and what it may use */
    int etc_entries = -1;
    DIR *etc = opendir("/etc");
    if (etc) {
        etc_entries = 0;
        for (struct dirent *e; (e = readdir(etc));)
            etc_entries += e->d_name[0] != '.';
        closedir(etc);
    }
    fprintf(out, "etc-list=%s\n", etc ? "open" : strerror(errno));
    fprintf(out, "etc-entries=%d\n", etc_entries);
    const char *secret = getenv("PROBE_SECRET");
    if (secret) {
        int fd = open(secret, O_RDONLY);
        fprintf(out, "secret=%s\n", fd >= 0 ? "open" : strerror(errno));
        if (fd >= 0)
            close(fd);
        char wpath[4096];
        snprintf(wpath, sizeof(wpath), "%s.written", secret);
        fd = open(wpath, O_WRONLY | O_CREAT | O_EXCL, 0666);
        fprintf(out, "write-outside=%s\n", fd >= 0 ? "open" : strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    {
        char wpath[64];
        snprintf(wpath, sizeof(wpath), "/tmp/sdvm-probe-%d", (int)getpid());
        int fd = open(wpath, O_WRONLY | O_CREAT | O_EXCL, 0666);
        fprintf(out, "write-tmp=%s\n", fd >= 0 ? "open" : strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(wpath);
        }
        snprintf(wpath, sizeof(wpath), "%s/.cache", home);
        fprintf(out, "write-home=%s\n", mkdir(wpath, 0700) == 0 ? "open" : strerror(errno));
    }
    for (const char *const *p = (const char *const[]){"/etc/passwd", "/etc/fonts/fonts.conf",
                                                      "/usr/lib/os-release", "/dev/null", NULL};
         *p; p++) {
        int fd = open(*p, O_RDONLY);
        fprintf(out, "read:%s=%s\n", *p, fd >= 0 ? "open" : strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    DIR *usr = opendir("/usr/share");
    fprintf(out, "usr-list=%s\n", usr ? "open" : strerror(errno));
    if (usr)
        closedir(usr);

    /* no_new_privs and seccomp, as the kernel reports them */
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    while (status && fgets(line, sizeof(line), status)) {
        if (strncmp(line, "NoNewPrivs:", 11) == 0)
            fprintf(out, "nnp=%d\n", atoi(line + 11));
        if (strncmp(line, "Seccomp:", 8) == 0)
            fprintf(out, "seccomp=%d\n", atoi(line + 8));
    }
    if (status)
        fclose(status);
    fclose(out);
    rename(tmp, path);
    for (;;)
        pause();
}
