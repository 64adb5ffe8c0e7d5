// Transcript runner for libsdvm; see transcript.h and tests/data/libsdvm/README.
#include "transcript.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <dirent.h>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sdvmtest {

namespace {

int64_t
now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool
needs_quotes(const std::string &v)
{
    if (v.empty())
        return true;
    for (char c : v)
        if (c == ' ' || c == '"' || c == '\\' || c == '=' || static_cast<unsigned char>(c) < 0x20)
            return true;
    return false;
}

std::string
quote(const std::string &v)
{
    if (!needs_quotes(v))
        return v;
    std::string o = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\')
            o += '\\';
        o += c;
    }
    return o + "\"";
}

const std::pair<std::string, std::string> *
find_token(const std::vector<std::pair<std::string, std::string>> &v, const std::string &key)
{
    for (const auto &kv : v)
        if (kv.first == key)
            return &kv;
    return nullptr;
}

std::string
power_names(unsigned mask)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{SDVM_POWER_OFF, "poweroff"},
                 {SDVM_POWER_REBOOT, "reboot"},
                 {SDVM_POWER_SUSPEND, "suspend"},
                 {SDVM_POWER_HIBERNATE, "hibernate"},
                 {SDVM_POWER_HYBRID_SLEEP, "hybrid-sleep"}};
    std::string s;
    for (const auto &n : names) {
        if (mask & n.bit) {
            if (!s.empty())
                s += ',';
            s += n.name;
        }
    }
    return s.empty() ? "none" : s;
}

bool
power_from_name(const std::string &name, enum sdvm_power_action *out)
{
    static const std::map<std::string, sdvm_power_action> m = {
        {"poweroff", SDVM_POWER_OFF},
        {"reboot", SDVM_POWER_REBOOT},
        {"suspend", SDVM_POWER_SUSPEND},
        {"hibernate", SDVM_POWER_HIBERNATE},
        {"hybrid-sleep", SDVM_POWER_HYBRID_SLEEP},
        {"invalid", static_cast<sdvm_power_action>(0)}};
    auto it = m.find(name);
    if (it == m.end())
        return false;
    *out = it->second;
    return true;
}

} // namespace

std::string
errno_name(int negative_errno)
{
    static const std::map<int, const char *> names = {
        {0, "OK"},
        {-EINVAL, "EINVAL"},
        {-EBUSY, "EBUSY"},
        {-EPIPE, "EPIPE"},
        {-EPERM, "EPERM"},
        {-ENOMEM, "ENOMEM"},
        {-ENOENT, "ENOENT"},
        {-ECONNREFUSED, "ECONNREFUSED"},
        {-EPROTO, "EPROTO"},
        {-ETIMEDOUT, "ETIMEDOUT"},
        {-EACCES, "EACCES"},
        {-EDEADLK, "EDEADLK"},
        {-EPROTONOSUPPORT, "EPROTONOSUPPORT"},
        {-ENAMETOOLONG, "ENAMETOOLONG"},
        {-EMSGSIZE, "EMSGSIZE"},
    };
    auto it = names.find(negative_errno);
    if (it != names.end())
        return it->second;
    if (negative_errno > 0)
        return std::to_string(negative_errno);
    return "E" + std::to_string(-negative_errno);
}

std::string
Line::text() const
{
    std::string s = kind;
    for (const auto &kv : core)
        s += " " + kv.first + "=" + quote(kv.second);
    for (const auto &kv : extra)
        s += " " + kv.first + "=" + quote(kv.second);
    return s;
}

bool
parse_line(const std::string &s, Line *out, std::string *error)
{
    Line l;
    size_t i = 0, n = s.size();
    auto skip_space = [&] {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
    };
    skip_space();
    while (i < n && s[i] != ' ' && s[i] != '\t')
        l.kind += s[i++];
    if (l.kind.empty()) {
        *error = "empty line";
        return false;
    }
    for (;;) {
        skip_space();
        if (i >= n)
            break;
        std::string key, value;
        while (i < n && s[i] != '=' && s[i] != ' ')
            key += s[i++];
        if (i >= n || s[i] != '=' || key.empty()) {
            *error = "expected key=value near \"" + s.substr(i < n ? i : n) + "\"";
            return false;
        }
        i++;
        if (i < n && s[i] == '"') {
            i++;
            bool closed = false;
            while (i < n) {
                char c = s[i++];
                if (c == '\\' && i < n) {
                    value += s[i++];
                } else if (c == '"') {
                    closed = true;
                    break;
                } else {
                    value += c;
                }
            }
            if (!closed) {
                *error = "unterminated quote";
                return false;
            }
        } else {
            while (i < n && s[i] != ' ' && s[i] != '\t')
                value += s[i++];
        }
        l.core.emplace_back(key, value);
    }
    *out = l;
    return true;
}

bool
line_matches(const Line &expected, const Line &recorded)
{
    if (expected.kind != recorded.kind)
        return false;
    for (const auto &kv : recorded.core) {
        const auto *e = find_token(expected.core, kv.first);
        if (!e || (e->second != kv.second && e->second != "*"))
            return false;
    }
    for (const auto &kv : expected.core) {
        const auto *r = find_token(recorded.core, kv.first);
        if (!r)
            r = find_token(recorded.extra, kv.first);
        if (!r || (kv.second != "*" && r->second != kv.second))
            return false;
    }
    return true;
}

// ---- Recorder ------------------------------------------------------------------------

const struct sdvm_listener Recorder::listener = {
    sizeof(struct sdvm_listener),
    Recorder::on_progress,
    Recorder::on_message,
    Recorder::on_finished,
    Recorder::on_launching,
    Recorder::on_images_changed,
    Recorder::on_disconnected,
};

Recorder::~Recorder()
{
    disconnect_and_free();
}

int
Recorder::connect()
{
    disconnect_and_free();
    return sdvm_ctx_new(&listener, this, &ctx_);
}

void
Recorder::disconnect_and_free()
{
    sdvm_ctx_free(ctx_);
    ctx_ = nullptr;
}

static Recorder *
self(void *ud)
{
    return static_cast<Recorder *>(ud);
}

void
Recorder::on_progress(sdvm_ctx *, uint64_t op, enum sdvm_stage stage, void *ud)
{
    Line l;
    l.kind = "PROGRESS";
    l.core = {{"op", std::to_string(op)}, {"stage", sdvm_stage_to_string(stage)}};
    self(ud)->add(l);
}

void
Recorder::on_message(sdvm_ctx *, uint64_t op, int is_error, const char *text, void *ud)
{
    Line l;
    l.kind = "MESSAGE";
    l.core = {{"op", std::to_string(op)}, {"error", is_error ? "1" : "0"}};
    l.extra = {{"text", text ? text : "(null)"}};
    self(ud)->add(l);
}

void
Recorder::on_finished(sdvm_ctx *, uint64_t op, const struct sdvm_outcome *o, void *ud)
{
    Line l;
    l.kind = "FINISHED";
    l.core = {{"op", std::to_string(op)}, {"failure", sdvm_failure_to_string(o->failure)}};
    l.extra.emplace_back("retry-after", std::to_string(o->retry_after_s));
    l.extra.emplace_back("size-ok", o->size >= sizeof(*o) ? "1" : "0");
    if (o->detail)
        l.extra.emplace_back("detail", o->detail);
    if (o->institution)
        l.extra.emplace_back("institution", o->institution);
    if (o->helpdesk_email)
        l.extra.emplace_back("email", o->helpdesk_email);
    if (o->helpdesk_phone)
        l.extra.emplace_back("phone", o->helpdesk_phone);
    if (o->helpdesk_url)
        l.extra.emplace_back("url", o->helpdesk_url);
    self(ud)->add(l);
}

void
Recorder::on_launching(sdvm_ctx *, uint64_t op, void *ud)
{
    Line l;
    l.kind = "LAUNCHING";
    l.core = {{"op", std::to_string(op)}};
    self(ud)->add(l);
}

void
Recorder::on_images_changed(sdvm_ctx *, void *ud)
{
    Line l;
    l.kind = "IMAGES-CHANGED";
    self(ud)->add(l);
}

void
Recorder::on_disconnected(sdvm_ctx *, void *ud)
{
    Line l;
    l.kind = "DISCONNECTED";
    self(ud)->add(l);
}

bool
Recorder::wait_for(size_t count, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (lines_.size() < count) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || !ctx_)
            return false;
        last_dispatch_ = sdvm_dispatch(ctx_, static_cast<int>(left));
        if (last_dispatch_ == -EPIPE) {
            if (lines_.size() < count)
                return false;
        } else if (last_dispatch_ < 0) {
            Line l;
            l.kind = "DISPATCH-ERROR";
            l.core = {{"errno", errno_name(last_dispatch_)}};
            add(l);
        }
    }
    return true;
}

void
Recorder::pump(int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || !ctx_)
            return;
        last_dispatch_ = sdvm_dispatch(ctx_, static_cast<int>(left));
        if (last_dispatch_ == -EPIPE)
            return;
    }
}

// ---- scenarios -----------------------------------------------------------------------

std::string
ScenarioResult::report() const
{
    std::string s = error + "\ntranscript:\n";
    for (const auto &l : transcript)
        s += "  " + l + "\n";
    return s;
}

namespace {

std::string
substitute(const std::string &in, const ScenarioOptions &opts, std::string *error)
{
    std::string out;
    for (size_t i = 0; i < in.size(); i++) {
        if (in[i] == '$' && i + 1 < in.size() && in[i + 1] == '{') {
            size_t end = in.find('}', i + 2);
            if (end == std::string::npos) {
                *error = "unterminated ${";
                return "";
            }
            std::string name = in.substr(i + 2, end - i - 2);
            auto it = opts.vars.find(name);
            if (it != opts.vars.end()) {
                out += it->second;
            } else if (const char *e = getenv(name.c_str())) {
                out += e;
            } else {
                *error = "variable ${" + name + "} is not set";
                return "";
            }
            i = end;
        } else {
            out += in[i];
        }
    }
    return out;
}

std::string
get(const Line &l, const std::string &key, const std::string &def = "")
{
    const auto *kv = find_token(l.core, key);
    return kv ? kv->second : def;
}

class Runner {
  public:
    explicit Runner(const ScenarioOptions &opts) : opts_(opts) {}

    ScenarioResult run(const std::string &script)
    {
        std::istringstream in(script);
        std::string raw;
        int lineno = 0;
        while (std::getline(in, raw)) {
            lineno++;
            size_t hash = raw.find(" #");
            if (!raw.empty() && raw[0] == '#')
                continue;
            if (hash != std::string::npos && raw.find('"') == std::string::npos)
                raw = raw.substr(0, hash);
            if (raw.find_first_not_of(" \t\r") == std::string::npos)
                continue;
            std::string err;
            const std::string &s = raw;
            Line cmd;
            size_t start = s.find_first_not_of(" \t");
            if (s.compare(start, 7, "EXPECT ") == 0 || s.compare(start, 7, "EXPECT\t") == 0)
                cmd.kind = "EXPECT"; // the rest is a line to match, parsed by step()
            else if (!parse_line(s, &cmd, &err))
                return fail(lineno, err);
            // ${NAME} is replaced inside values after splitting, so a value may hold spaces.
            if (!substitute_all(&cmd, &err))
                return fail(lineno, err);
            if (!step(cmd, s, &err))
                return fail(lineno, err);
        }
        std::string err;
        if (!connected_ && !connect_once(&err))
            return fail(lineno, err);
        if (in_unordered_)
            return fail(lineno, "UNORDERED without FENCE");
        if (next_ < rec_.lines().size())
            return fail(lineno, "unexpected line at the end: " + rec_.lines()[next_].text());
        ScenarioResult r;
        r.ok = true;
        r.transcript = transcript();
        return r;
    }

  private:
    std::vector<std::string> transcript() const
    {
        std::vector<std::string> t;
        for (const auto &l : rec_.lines())
            t.push_back(l.text());
        return t;
    }

    ScenarioResult fail(int lineno, const std::string &what)
    {
        ScenarioResult r;
        r.error = "scenario line " + std::to_string(lineno) + ": " + what;
        r.transcript = transcript();
        return r;
    }

    bool substitute_all(Line *l, std::string *error)
    {
        for (auto &kv : l->core) {
            kv.second = substitute(kv.second, opts_, error);
            if (!error->empty())
                return false;
        }
        return true;
    }

    bool check_result(const Line &cmd, int r, std::string *error)
    {
        std::string want = get(cmd, "result", "OK");
        if (errno_name(r) == want)
            return true;
        *error = cmd.kind + " returned " + errno_name(r) + ", expected " + want;
        return false;
    }

    bool connect_once(std::string *error)
    {
        connected_ = true;
        int r = rec_.connect();
        if (r == 0 && opts_.on_connected)
            opts_.on_connected(rec_.ctx());
        connect_result_ = r;
        if (r < 0 && !explicit_connect_) {
            *error = "sdvm_ctx_new failed: " + errno_name(r);
            return false;
        }
        return true;
    }

    bool need_ctx(std::string *error)
    {
        if (!connected_ && !connect_once(error))
            return false;
        if (!rec_.ctx()) {
            *error = "no context (connect failed or FREE)";
            return false;
        }
        return true;
    }

    // Take the next recorded line (waiting for it) and check it against `want`.
    bool expect(const Line &want, std::string *error)
    {
        if (!rec_.wait_for(next_ + 1, opts_.expect_timeout_ms)) {
            *error = "timed out waiting for: " + want.text();
            return false;
        }
        const Line &got = rec_.lines()[next_];
        if (!line_matches(want, got)) {
            *error = "expected: " + want.text() + "\n  got:      " + got.text();
            return false;
        }
        next_++;
        return true;
    }

    bool fence(std::string *error)
    {
        in_unordered_ = false;
        std::vector<Line> pending = unordered_;
        unordered_.clear();
        while (!pending.empty()) {
            if (!rec_.wait_for(next_ + 1, opts_.expect_timeout_ms)) {
                std::string missing;
                for (const auto &p : pending)
                    missing += "\n  " + p.text();
                *error = "timed out waiting for (any order):" + missing;
                return false;
            }
            const Line &got = rec_.lines()[next_];
            bool found = false;
            for (size_t i = 0; i < pending.size(); i++) {
                if (line_matches(pending[i], got)) {
                    pending.erase(pending.begin() + static_cast<long>(i));
                    found = true;
                    break;
                }
            }
            if (!found) {
                *error = "unexpected line in an UNORDERED block: " + got.text();
                return false;
            }
            next_++;
        }
        return true;
    }

    bool step(const Line &cmd, const std::string &text, std::string *error)
    {
        const std::string &k = cmd.kind;
        if (in_unordered_ && k != "EXPECT" && k != "FENCE") {
            *error = "only EXPECT lines may stand between UNORDERED and FENCE";
            return false;
        }
        if (k == "ENV") {
            if (connected_) {
                *error = "ENV must come before the first action";
                return false;
            }
            for (const auto &kv : cmd.core)
                setenv(kv.first.c_str(), kv.second.c_str(), 1);
            return true;
        }
        if (k == "UNSETENV") {
            if (connected_) {
                *error = "UNSETENV must come before the first action";
                return false;
            }
            for (const auto &kv : cmd.core)
                unsetenv(kv.first.c_str());
            return true;
        }
        if (k == "CONNECT") {
            if (connected_) {
                *error = "CONNECT twice";
                return false;
            }
            explicit_connect_ = true;
            if (!connect_once(error))
                return false;
            return check_result(cmd, connect_result_, error);
        }
        if (k == "EXPECT") {
            if (!need_ctx(error))
                return false;
            Line want;
            size_t sp = text.find_first_not_of(" \t");
            sp = text.find_first_of(" \t", sp);
            if (sp == std::string::npos || !parse_line(text.substr(sp), &want, error)) {
                if (error->empty())
                    *error = "EXPECT needs a line";
                return false;
            }
            if (!substitute_all(&want, error))
                return false;
            if (in_unordered_) {
                unordered_.push_back(want);
                return true;
            }
            return expect(want, error);
        }
        if (k == "UNORDERED") {
            in_unordered_ = true;
            return true;
        }
        if (k == "FENCE")
            return fence(error);
        if (!need_ctx(error))
            return false;
        sdvm_ctx *ctx = rec_.ctx();
        if (k == "LOGIN") {
            uint64_t op = 0;
            int r = sdvm_login_start(ctx, get(cmd, "nai").c_str(), get(cmd, "password").c_str(),
                                     get(cmd, "image").c_str(), &op);
            if (r == 0 && !get(cmd, "op").empty() && get(cmd, "op") != std::to_string(op)) {
                *error = "LOGIN returned op " + std::to_string(op) + ", expected " +
                         get(cmd, "op");
                return false;
            }
            return check_result(cmd, r, error);
        }
        if (k == "CANCEL") {
            uint64_t op = std::strtoull(get(cmd, "op", "0").c_str(), nullptr, 10);
            return check_result(cmd, sdvm_login_cancel(ctx, op), error);
        }
        if (k == "POWER") {
            sdvm_power_action a;
            if (!power_from_name(get(cmd, "action"), &a)) {
                *error = "unknown power action " + get(cmd, "action");
                return false;
            }
            return check_result(cmd, sdvm_power(ctx, a), error);
        }
        if (k == "IMAGES") {
            const struct sdvm_image *const *im = nullptr;
            size_t count = 0;
            int r = sdvm_images(ctx, &im, &count);
            if (!check_result(cmd, r, error))
                return false;
            // sdvm.h's promises, whichever backend: count pointers then NULL, each image
            // stamped with the size the library knows.
            if (r == 0 && (!im || im[count] != nullptr)) {
                *error = "sdvm_images(): the pointer array is not NULL-terminated";
                return false;
            }
            for (size_t i = 0; r == 0 && i < count; i++)
                if (!im[i] || im[i]->size != sizeof(struct sdvm_image)) {
                    *error = "sdvm_images(): image " + std::to_string(i) + " has no valid size";
                    return false;
                }
            Line head;
            head.kind = "IMAGES";
            head.core = {{"count", std::to_string(count)}};
            rec_.add(head);
            for (size_t i = 0; i < count; i++) {
                Line l;
                l.kind = "IMAGE";
                l.core = {{"id", im[i]->id},
                          {"default", im[i]->is_default ? "1" : "0"},
                          {"available", im[i]->available ? "1" : "0"}};
                l.extra = {{"name", im[i]->name},
                           {"os", im[i]->os_type},
                           {"comment", im[i]->comment ? im[i]->comment : "(null)"}};
                if (im[i]->unavailable_reason)
                    l.extra.emplace_back("reason", im[i]->unavailable_reason);
                if (!im[i]->available)
                    l.extra.emplace_back("status", std::to_string(im[i]->unavailable_status));
                rec_.add(l);
            }
            return true;
        }
        if (k == "HOSTNAME") {
            Line l;
            l.kind = "HOSTNAME";
            l.core = {{"name", sdvm_hostname(ctx)}};
            rec_.add(l);
            return true;
        }
        if (k == "POWER-AVAILABLE") {
            Line l;
            l.kind = "POWER-AVAILABLE";
            l.core = {{"actions", power_names(sdvm_power_available(ctx))}};
            rec_.add(l);
            return true;
        }
        if (k == "QUIET" || k == "WAIT") {
            int ms = std::atoi(get(cmd, "ms", "0").c_str());
            size_t before = rec_.lines().size();
            rec_.pump(ms);
            if (k == "QUIET" && rec_.lines().size() != before) {
                *error = "QUIET: unexpected line " + rec_.lines()[before].text();
                return false;
            }
            return true;
        }
        if (k == "DISPATCH") {
            int r = sdvm_dispatch(ctx, std::atoi(get(cmd, "timeout", "0").c_str()));
            if (r >= 0)
                r = 0;
            return check_result(cmd, r, error);
        }
        if (k == "FREE") {
            rec_.disconnect_and_free();
            return true;
        }
        *error = "unknown command " + k;
        return false;
    }

    const ScenarioOptions &opts_;
    Recorder rec_;
    size_t next_ = 0;
    bool connected_ = false;
    bool explicit_connect_ = false;
    int connect_result_ = 0;
    bool in_unordered_ = false;
    std::vector<Line> unordered_;
};

} // namespace

ScenarioResult
run_scenario(const std::string &script, const ScenarioOptions &opts)
{
    Runner r(opts);
    return r.run(script);
}

ScenarioResult
run_scenario_file(const std::string &path, const ScenarioOptions &opts)
{
    std::ifstream f(path);
    if (!f) {
        ScenarioResult r;
        r.error = "cannot read " + path;
        return r;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return run_scenario(ss.str(), opts);
}

std::vector<std::string>
scenario_files(const std::string &sub, const std::vector<std::string> &except)
{
    std::vector<std::string> out;
    std::string dir = scenario_path(sub);
    if (DIR *d = opendir(dir.c_str())) {
        while (struct dirent *e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 9 && n.compare(n.size() - 9, 9, ".scenario") == 0 &&
                std::find(except.begin(), except.end(), n) == except.end())
                out.push_back(sub + "/" + n);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string
scenario_path(const std::string &entry)
{
    const char *src = getenv("SDVM_SOURCE_DIR");
    return std::string(src ? src : ".") + "/tests/data/libsdvm/" + entry;
}

std::string
scenario_test_name(const std::string &entry)
{
    std::string n = entry.substr(0, entry.size() - 9); // without ".scenario"
    for (char &c : n)
        if (!isalnum(static_cast<unsigned char>(c)))
            c = '_';
    return n;
}

} // namespace sdvmtest
