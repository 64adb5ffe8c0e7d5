// Transcript runner for libsdvm (after LightDM's tests/src/test-runner.c).
//
// A scenario is a small text script: actions on the ABI (LOGIN, CANCEL, POWER, ...) and the
// callback lines expected back (EXPECT PROGRESS op=1 stage=AUTHENTICATING). The same scenario
// runs against the fake backend, the in-test socket server, or the real sdvmd on the test bed:
// the runner only talks to sdvm.h. See tests/data/libsdvm/README for the script language.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include "sdvm.h"
}

namespace sdvmtest {

// One recorded line: "FINISHED op=1 failure=BAD_CREDENTIALS retry-after=0 detail=..."
// core = the tokens an expectation must name (kind, op, stage/failure/error, ...);
// extra = tokens an expectation may name (detail, institution, text, ...).
struct Line {
    std::string kind;
    std::vector<std::pair<std::string, std::string>> core;
    std::vector<std::pair<std::string, std::string>> extra;
    std::string text() const; // canonical form, core tokens then extra tokens
};

// Parse "KIND key=value key=\"quoted value\"" into a Line (all tokens in core).
bool parse_line(const std::string &s, Line *out, std::string *error);
// Does the recorded line satisfy the expectation? Every core token of the recorded line must
// appear in the expectation with the same value; every token of the expectation must appear
// in the recorded line (core or extra) with the same value.
bool line_matches(const Line &expected, const Line &recorded);

// Records every callback of a context as Lines. Owns the context.
class Recorder {
  public:
    Recorder() = default;
    ~Recorder();
    Recorder(const Recorder &) = delete;
    Recorder &operator=(const Recorder &) = delete;

    // sdvm_ctx_new() with the recording listener; returns its result.
    int connect();
    void disconnect_and_free();
    sdvm_ctx *ctx() const { return ctx_; }

    // Dispatch until at least `count` lines have been recorded or timeout_ms passes.
    // Returns false on timeout; dispatch errors other than -EPIPE are recorded as lines
    // "DISPATCH-ERROR errno=..." so a scenario sees them.
    bool wait_for(size_t count, int timeout_ms);
    // Dispatch for `ms` milliseconds, whatever arrives.
    void pump(int ms);

    void add(const Line &l) { lines_.push_back(l); }
    const std::vector<Line> &lines() const { return lines_; }
    int last_dispatch() const { return last_dispatch_; }

    // The listener used by connect(); public so a test can build a variant of it.
    static const struct sdvm_listener listener;

  private:
    static void on_progress(sdvm_ctx *, uint64_t op, enum sdvm_stage stage, void *ud);
    static void on_message(sdvm_ctx *, uint64_t op, int is_error, const char *text, void *ud);
    static void on_finished(sdvm_ctx *, uint64_t op, const struct sdvm_outcome *o, void *ud);
    static void on_launching(sdvm_ctx *, uint64_t op, void *ud);
    static void on_images_changed(sdvm_ctx *, void *ud);
    static void on_disconnected(sdvm_ctx *, void *ud);

    sdvm_ctx *ctx_ = nullptr;
    std::vector<Line> lines_;
    int last_dispatch_ = 0;
};

struct ScenarioResult {
    bool ok = false;
    std::string error;                   // what went wrong, with the scenario line number
    std::vector<std::string> transcript; // every recorded line, in order
    std::string report() const;          // error + transcript, for a test failure message
};

struct ScenarioOptions {
    std::map<std::string, std::string> vars; // ${NAME} substitutions (then the environment)
    int expect_timeout_ms = 10000;            // how long one EXPECT waits
    // Called once the context exists (e.g. a test server can start scripting).
    std::function<void(sdvm_ctx *)> on_connected;
};

// Run a scenario script. ENV lines are applied (setenv) before the context is created.
ScenarioResult run_scenario(const std::string &script, const ScenarioOptions &opts = {});
ScenarioResult run_scenario_file(const std::string &path, const ScenarioOptions &opts = {});

std::string errno_name(int negative_errno);

// The scenario files of tests/data/libsdvm/<sub> (under $SDVM_SOURCE_DIR) as
// "<sub>/<name>.scenario", sorted; `except` lists file names to leave out. Every front end
// (fake, socket, the real daemon) runs the same files through these.
std::vector<std::string> scenario_files(const std::string &sub,
                                        const std::vector<std::string> &except = {});
// The full path of such an entry.
std::string scenario_path(const std::string &entry);
// A test name for it: "scenarios/cancel-midway.scenario" -> "scenarios_cancel_midway".
std::string scenario_test_name(const std::string &entry);

} // namespace sdvmtest
