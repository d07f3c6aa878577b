/*
 * flb-host: loads a Fluent Bit Go output plugin (c-shared .so) the way
 * Fluent Bit 5.1.1 does and drives it from a script, so CI can test the real
 * ABI without Fluent Bit installed.  See README.md next to this file.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -rdynamic -o flb-host test/host/host.c -ldl
 * (-rdynamic exports the cmetrics stand-ins, as the fluent-bit binary exports cmetrics).
 *
 * Exit status: 0 script done, 2 usage/script/load error, 3 script done but the
 * plugin broke an ABI rule (details on stderr, "[host] ABI violation: ...").
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HOST_HAVE_VALGRIND 1
#endif
#endif

/* ------------------------------------------------------------------------
 * ABI of Fluent Bit 5.1.1 (include/fluent-bit/flb_plugin_proxy.h,
 * include/fluent-bit/flb_api.h, src/proxy/go/go.h).  Layouts must not change.
 * ---------------------------------------------------------------------- */

#define FLB_ERROR 0
#define FLB_OK    1
#define FLB_RETRY 2

#define FLB_PROXY_OUTPUT_PLUGIN 2
#define FLB_PROXY_GOLANG        11

#define FLB_IO_TLS     2
#define FLB_IO_OPT_TLS 4

struct flb_config_map;
struct flb_input_instance;
struct flb_custom_instance;
struct flb_output_instance;          /* host-private, opaque to the plugin */
struct registration;                 /* stands in for struct flb_plugin_proxy */

struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
    int event_type;
    struct flb_config_map *config_map;
};

struct flb_plugin_proxy_context {
    void *remote_context;            /* set by FLBPluginSetContext in init */
    struct registration *proxy;
};

struct flb_api {
    const char *(*output_get_property)(const char *, struct flb_output_instance *);
    const char *(*input_get_property)(const char *, struct flb_input_instance *);
    void *(*output_get_cmt_instance)(struct flb_output_instance *);
    void *(*input_get_cmt_instance)(struct flb_input_instance *);
    void (*log_print)(int, const char *, int, const char *, ...);
    int (*input_log_check)(struct flb_input_instance *, int);
    int (*output_log_check)(struct flb_output_instance *, int);
    const char *(*custom_get_property)(const char *, struct flb_custom_instance *);
    int (*custom_log_check)(struct flb_custom_instance *, int);
};

struct flbgo_output_plugin {
    char *name;
    struct flb_api *api;
    struct flb_output_instance *o_ins;
    struct flb_plugin_proxy_context *context;
    /* callbacks, as src/proxy/go/go.h declares them (length is size_t) */
    int (*cb_init)(struct flbgo_output_plugin *);
    int (*cb_flush)(const void *, size_t, const char *);
    int (*cb_flush_ctx)(void *, const void *, size_t, char *);
    int (*cb_exit)(void);
    int (*cb_exit_ctx)(void *);
};

/* ------------------------------------------------------------------------
 * Host state
 * ---------------------------------------------------------------------- */

#define LVL_OFF   0
#define LVL_ERROR 1
#define LVL_WARN  2
#define LVL_INFO  3
#define LVL_DEBUG 4
#define LVL_TRACE 5

/* Fluent Bit formats a log line into a 4 KiB record; with its header the
 * message itself is cut at about this many bytes (src/flb_log.c). */
#define LOG_MSG_MAX 4044

/* FLB_CORO_STACK_SIZE_BYTE on x86_64 Linux/glibc:
 * max(3 * PTHREAD_STACK_MIN / 2, 64 KiB) = max(24576, 65536) */
#define DEFAULT_CORO_STACK 65536

#define INST_MAGIC 0x464c4248u       /* "FLBH" */

enum inst_state { INST_INIT, INST_LIVE, INST_DEAD };

struct prop {
    char *key;
    char *val;                       /* NULL when the value was empty */
};

struct flb_output_instance {
    unsigned magic;
    enum inst_state state;
    char *name;
    int log_level;
    struct prop *props;
    size_t nprops;
    size_t cap;
    struct flb_plugin_proxy_context *ctx;
    struct registration *reg;
    struct cmt *cmt;                     /* the instance's cmetrics context */
    struct flb_output_instance *next;    /* every instance ever created */
};

/*
 * cmetrics stand-ins.  Fluent Bit gives each output instance a cmetrics
 * context (api->output_get_cmt_instance) and its binary exports the cmetrics
 * functions, which a Go plugin resolves with dlsym(RTLD_DEFAULT, ...).  The
 * host exports flb_output_get_cmt_instance, cmt_counter_create and
 * cmt_counter_add (built with -rdynamic) and keeps what they are given, for
 * the "metrics" command.  Nothing is freed, so that a use after the
 * instance's exit (when Fluent Bit destroys the context) is reported.
 */
struct cmt {
    struct flb_output_instance *ins;
    struct cmt_counter *counters;
    struct cmt_counter **tail;
};

struct host_series {
    char **vals;                     /* label values, NULL for the unlabelled one */
    int nvals;
    double value;
    struct host_series *next;
};

struct cmt_counter {
    struct cmt *cmt;
    char *fqname;                    /* ns_subsystem_name, as cmt_opts_init() makes it */
    char *help;
    int nkeys;
    char **keys;
    struct host_series *series;
    struct host_series **tail;
    struct cmt_counter *next;        /* of its context */
    struct cmt_counter *all_next;    /* every counter ever created */
};

struct registration {
    int seq;
    void *handle;                    /* own dlopen reference, as Fluent Bit */
    struct flb_plugin_proxy_def *def;
    struct flb_api *api;
    struct flbgo_output_plugin *gop; /* the ONE object shared by instances */
    int usable;
    int unregistered;
    struct registration *next;
};

struct plugin_syms {
    int (*reg)(struct flb_plugin_proxy_def *);
    int (*init)(struct flbgo_output_plugin *);
    int (*flush_ctx)(void *, const void *, size_t, char *);
    int (*flush)(const void *, size_t, const char *);
    int (*exit_ctx)(void *);
    int (*exit)(void);
    void (*unreg)(struct flb_plugin_proxy_def *);
    int (*pre_reg)(int);
    int (*pre_run)(int);
    void (*pre_exit)(int);
};

static const char *g_plugin_path;
static struct plugin_syms S;
static int g_default_level = LVL_INFO;
static int g_use_coro = 1;
static size_t g_stack_size = DEFAULT_CORO_STACK;
static int g_reloads;
static int g_reg_seq;

static struct registration *g_regs;
static struct registration *g_cur;

static pthread_mutex_t g_inst_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flb_output_instance *g_inst_head;
static struct flb_output_instance *g_inst_tail;

static pthread_mutex_t g_metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cmt_counter *g_counters;

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int g_violations;

static const char *g_script_name = "-";
static long g_lineno;

/* variables from "@SET KEY=VALUE" lines in property files */
static char **g_setvars;
static size_t g_nsetvars;

/* ------------------------------------------------------------------------
 * Logging (stderr only; stdout is reserved for result lines)
 * ---------------------------------------------------------------------- */

static void emit_line(const char *prefix, const char *msg)
{
    pthread_mutex_lock(&g_log_lock);
    fputs(prefix, stderr);
    fputs(msg, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&g_log_lock);
}

static const char *level_name(int level)
{
    switch (level) {
    case LVL_ERROR: return "error";
    case LVL_WARN:  return "warn";
    case LVL_INFO:  return "info";
    case LVL_DEBUG: return "debug";
    case LVL_TRACE: return "trace";
    default:        return NULL;
    }
}

static void vlog_level(int level, const char *fmt, va_list ap)
{
    char msg[LOG_MSG_MAX + 1];
    char prefix[32];
    const char *name = level_name(level);

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (name) {
        snprintf(prefix, sizeof(prefix), "[%s] ", name);
    }
    else {
        snprintf(prefix, sizeof(prefix), "[level %d] ", level);
    }
    emit_line(prefix, msg);
}

__attribute__((format(printf, 1, 2)))
static void hostlog(const char *fmt, ...)
{
    char msg[LOG_MSG_MAX + 1];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit_line("[host] ", msg);
}

#define hostdebug(...) \
    do { if (g_default_level >= LVL_DEBUG) hostlog(__VA_ARGS__); } while (0)

__attribute__((format(printf, 1, 2)))
static void violation(const char *fmt, ...)
{
    char msg[LOG_MSG_MAX + 1];
    va_list ap;
    int n = atomic_fetch_add(&g_violations, 1);

    if (n < 20) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        emit_line("[host] ABI violation: ", msg);
    }
    else if (n == 20) {
        emit_line("[host] ", "further ABI violations are counted, not shown");
    }
}

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
    char msg[LOG_MSG_MAX + 1];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fflush(stdout);
    if (g_lineno > 0) {
        char prefix[PATH_MAX + 64];
        snprintf(prefix, sizeof(prefix), "[host] error: %s:%ld: ",
                 g_script_name, g_lineno);
        emit_line(prefix, msg);
    }
    else {
        emit_line("[host] error: ", msg);
    }
    exit(2);
}

__attribute__((format(printf, 1, 2)))
static void result(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fail("out of memory");
    }
    return p;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) {
        fail("out of memory");
    }
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        fail("out of memory");
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p) {
        fail("out of memory");
    }
    return p;
}

/* fill with 0xAA, then free: a plugin reading it later sees garbage */
static void poison_free(void *p, size_t n)
{
    if (p) {
        memset(p, 0xAA, n);
        free(p);
    }
}

static void poison_free_str(char *s)
{
    if (s) {
        poison_free(s, strlen(s) + 1);
    }
}

/* ------------------------------------------------------------------------
 * Levels
 * ---------------------------------------------------------------------- */

/* flb_log_get_level_str(): names only, case-insensitive */
static int level_from_name(const char *s)
{
    if (!strcasecmp(s, "off"))     return LVL_OFF;
    if (!strcasecmp(s, "error"))   return LVL_ERROR;
    if (!strcasecmp(s, "warn") || !strcasecmp(s, "warning")) return LVL_WARN;
    if (!strcasecmp(s, "info"))    return LVL_INFO;
    if (!strcasecmp(s, "debug"))   return LVL_DEBUG;
    if (!strcasecmp(s, "trace"))   return LVL_TRACE;
    return -1;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || !*s) {
        return -1;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------------
 * Instance registry and the flb_api functions
 * ---------------------------------------------------------------------- */

/* caller holds g_inst_lock */
static struct flb_output_instance *check_instance(struct flb_output_instance *o_ins,
                                                  const char *api_name)
{
    struct flb_output_instance *i;

    for (i = g_inst_head; i; i = i->next) {
        if (i == o_ins) {
            break;
        }
    }
    if (!i || i->magic != INST_MAGIC) {
        violation("%s called with o_ins=%p, which is no output instance "
                  "(Fluent Bit would dereference it)", api_name, (void *) o_ins);
        return NULL;
    }
    if (i->state == INST_DEAD) {
        violation("%s called with the o_ins of instance '%s' after its exit "
                  "(freed memory in Fluent Bit)", api_name, i->name);
    }
    return i;
}

static const char *api_output_get_property(const char *key,
                                           struct flb_output_instance *o_ins)
{
    struct flb_output_instance *ins;
    const char *val = NULL;
    size_t klen, n;

    pthread_mutex_lock(&g_inst_lock);
    ins = check_instance(o_ins, "output_get_property");
    if (ins && ins->state != INST_DEAD && key && (klen = strlen(key)) > 0) {
        for (n = 0; n < ins->nprops; n++) {
            /* first occurrence wins, as flb_kv_get_key_value() */
            if (strlen(ins->props[n].key) == klen &&
                strncasecmp(ins->props[n].key, key, klen) == 0) {
                val = ins->props[n].val;
                break;
            }
        }
    }
    pthread_mutex_unlock(&g_inst_lock);
    return val;
}

static int api_output_log_check(struct flb_output_instance *o_ins, int level)
{
    struct flb_output_instance *ins;
    int ret = 0;

    pthread_mutex_lock(&g_inst_lock);
    ins = check_instance(o_ins, "output_log_check");
    if (ins) {
        ret = (ins->log_level < level) ? 0 : 1;
    }
    pthread_mutex_unlock(&g_inst_lock);
    return ret;
}

__attribute__((format(printf, 4, 5)))
static void api_log_print(int level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    (void) file;
    (void) line;
    if (!fmt) {
        violation("log_print called with a NULL format");
        return;
    }
    va_start(ap, fmt);
    vlog_level(level, fmt, ap);
    va_end(ap);
}

static const char *api_input_get_property(const char *key, struct flb_input_instance *i)
{
    (void) key;
    (void) i;
    return NULL;
}

/* exported: the plugin checks with dlsym that the binary has it (a Fluent
 * Bit built without metrics leaves the flb_api member uninitialised) */
void *flb_output_get_cmt_instance(struct flb_output_instance *o_ins);

void *flb_output_get_cmt_instance(struct flb_output_instance *o_ins)
{
    struct flb_output_instance *ins;
    struct cmt *cmt = NULL;

    pthread_mutex_lock(&g_inst_lock);
    ins = check_instance(o_ins, "output_get_cmt_instance");
    if (ins && ins->state != INST_DEAD) {
        cmt = ins->cmt;
    }
    pthread_mutex_unlock(&g_inst_lock);
    return cmt;
}

static void *api_input_get_cmt_instance(struct flb_input_instance *i)
{
    (void) i;
    return NULL;
}

static int api_input_log_check(struct flb_input_instance *i, int level)
{
    (void) i;
    (void) level;
    return 0;
}

static const char *api_custom_get_property(const char *key, struct flb_custom_instance *c)
{
    (void) key;
    (void) c;
    return NULL;
}

static int api_custom_log_check(struct flb_custom_instance *c, int level)
{
    (void) c;
    (void) level;
    return 0;
}

/*
 * Fluent Bit frees a registration's flb_api when it destroys the
 * registration (FLBPluginUnregister, hot reload).  Instead of freeing it the
 * host swaps in these, which report the use and then answer normally.
 */
static void stale_api(const char *fn)
{
    violation("%s called through the flb_api of a registration that was "
              "unregistered (Fluent Bit has freed it)", fn);
}

static const char *stale_output_get_property(const char *key, struct flb_output_instance *o)
{
    stale_api("output_get_property");
    return api_output_get_property(key, o);
}

static const char *stale_input_get_property(const char *key, struct flb_input_instance *i)
{
    stale_api("input_get_property");
    return api_input_get_property(key, i);
}

static void *stale_output_get_cmt_instance(struct flb_output_instance *o)
{
    stale_api("output_get_cmt_instance");
    return flb_output_get_cmt_instance(o);
}

static void *stale_input_get_cmt_instance(struct flb_input_instance *i)
{
    stale_api("input_get_cmt_instance");
    return api_input_get_cmt_instance(i);
}

__attribute__((format(printf, 4, 5)))
static void stale_log_print(int level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    (void) file;
    (void) line;
    stale_api("log_print");
    if (!fmt) {
        return;
    }
    va_start(ap, fmt);
    vlog_level(level, fmt, ap);
    va_end(ap);
}

static int stale_input_log_check(struct flb_input_instance *i, int l)
{
    stale_api("input_log_check");
    return api_input_log_check(i, l);
}

static int stale_output_log_check(struct flb_output_instance *o, int l)
{
    stale_api("output_log_check");
    return api_output_log_check(o, l);
}

static const char *stale_custom_get_property(const char *k, struct flb_custom_instance *c)
{
    stale_api("custom_get_property");
    return api_custom_get_property(k, c);
}

static int stale_custom_log_check(struct flb_custom_instance *c, int l)
{
    stale_api("custom_log_check");
    return api_custom_log_check(c, l);
}

static void api_fill(struct flb_api *api, int stale)
{
    if (!stale) {
        api->output_get_property = api_output_get_property;
        api->input_get_property = api_input_get_property;
        api->output_get_cmt_instance = flb_output_get_cmt_instance;
        api->input_get_cmt_instance = api_input_get_cmt_instance;
        api->log_print = api_log_print;
        api->input_log_check = api_input_log_check;
        api->output_log_check = api_output_log_check;
        api->custom_get_property = api_custom_get_property;
        api->custom_log_check = api_custom_log_check;
    }
    else {
        api->output_get_property = stale_output_get_property;
        api->input_get_property = stale_input_get_property;
        api->output_get_cmt_instance = stale_output_get_cmt_instance;
        api->input_get_cmt_instance = stale_input_get_cmt_instance;
        api->log_print = stale_log_print;
        api->input_log_check = stale_input_log_check;
        api->output_log_check = stale_output_log_check;
        api->custom_get_property = stale_custom_get_property;
        api->custom_log_check = stale_custom_log_check;
    }
}

/* ------------------------------------------------------------------------
 * cmetrics stand-ins (lib/cmetrics/src/cmt_counter.c, cmt_opts.c, cmt_map.c)
 * ---------------------------------------------------------------------- */

struct cmt_counter *cmt_counter_create(struct cmt *cmt, char *ns, char *subsystem,
                                       char *name, char *help,
                                       int label_count, char **label_keys);
int cmt_counter_add(struct cmt_counter *counter, uint64_t timestamp, double val,
                    int labels_count, char **label_vals);

/* the live instance a context belongs to, or NULL after a violation */
static struct flb_output_instance *cmt_owner(struct cmt *cmt, const char *fn)
{
    struct flb_output_instance *i;

    pthread_mutex_lock(&g_inst_lock);
    for (i = g_inst_head; i; i = i->next) {
        if (i->cmt == cmt) {
            break;
        }
    }
    pthread_mutex_unlock(&g_inst_lock);
    if (!i) {
        violation("%s called with cmt=%p, which no output_get_cmt_instance "
                  "returned", fn, (void *) cmt);
        return NULL;
    }
    if (i->state == INST_DEAD) {
        violation("%s called on the cmetrics context of instance '%s' after "
                  "its exit (Fluent Bit has destroyed it)", fn, i->name);
        return NULL;
    }
    return i;
}

static char **copy_strings(char **l, int n)
{
    char **out = xcalloc((size_t) n, sizeof(char *));
    int k;

    for (k = 0; k < n; k++) {
        out[k] = l[k] ? xstrdup(l[k]) : NULL;
    }
    return out;
}

struct cmt_counter *cmt_counter_create(struct cmt *cmt, char *ns, char *subsystem,
                                       char *name, char *help,
                                       int label_count, char **label_keys)
{
    struct cmt_counter *c;
    size_t len;
    int k;

    if (!cmt_owner(cmt, "cmt_counter_create")) {
        return NULL;
    }
    if (label_count < 0 || (label_count > 0 && !label_keys)) {
        violation("cmt_counter_create called with label_count %d and "
                  "label_keys %p (cmetrics reads label_count keys)",
                  label_count, (void *) label_keys);
        return NULL;
    }
    for (k = 0; k < label_count; k++) {
        if (!label_keys[k]) {
            violation("cmt_counter_create called with label key %d NULL", k);
            return NULL;
        }
    }
    /* cmetrics refuses these with an error line and returns NULL */
    if (!ns || !subsystem || !name || !*name || !help || !*help) {
        hostlog("cmt_counter_create: cmetrics refuses a counter without ns, "
                "subsystem, name or help: returns NULL");
        return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    len = strlen(ns) + strlen(subsystem) + strlen(name) + 3;
    c->fqname = xmalloc(len);
    snprintf(c->fqname, len, "%s%s%s%s%s", ns, *ns ? "_" : "", subsystem,
             *subsystem ? "_" : "", name);
    c->help = xstrdup(help);
    c->nkeys = label_count;
    c->keys = copy_strings(label_keys, label_count);
    c->cmt = cmt;
    c->tail = &c->series;
    hostdebug("cmt_counter_create %s (%d labels)", c->fqname, label_count);

    pthread_mutex_lock(&g_metrics_lock);
    *cmt->tail = c;
    cmt->tail = &c->next;
    c->all_next = g_counters;
    g_counters = c;
    pthread_mutex_unlock(&g_metrics_lock);
    return c;
}

static int labels_equal(struct host_series *s, int n, char **vals)
{
    int k;

    if (s->nvals != n) {
        return 0;
    }
    for (k = 0; k < n; k++) {
        if ((s->vals[k] == NULL) != (vals[k] == NULL) ||
            (vals[k] && strcmp(s->vals[k], vals[k]) != 0)) {
            return 0;
        }
    }
    return 1;
}

int cmt_counter_add(struct cmt_counter *counter, uint64_t timestamp, double val,
                    int labels_count, char **label_vals)
{
    struct cmt_counter *c;
    struct host_series *s;

    (void) timestamp;
    pthread_mutex_lock(&g_metrics_lock);
    for (c = g_counters; c && c != counter; c = c->all_next) {
    }
    pthread_mutex_unlock(&g_metrics_lock);
    if (!c) {
        violation("cmt_counter_add called with counter=%p, which no "
                  "cmt_counter_create returned", (void *) counter);
        return -1;
    }
    if (!cmt_owner(c->cmt, "cmt_counter_add")) {
        return -1;
    }
    if (labels_count > 0 && !label_vals) {
        violation("cmt_counter_add of %s called with labels_count %d and "
                  "label_vals NULL", c->fqname, labels_count);
        return -1;
    }
    if (labels_count > 0 && labels_count != c->nkeys) {
        /* cmt_map_metric_get(): an error line, nothing counted */
        hostlog("error: cmt_counter_add of %s with %d label values for %d "
                "label keys: cmetrics counts nothing", c->fqname,
                labels_count, c->nkeys);
        return -1;
    }
    pthread_mutex_lock(&g_metrics_lock);
    for (s = c->series; s && !labels_equal(s, labels_count, label_vals); s = s->next) {
    }
    if (!s) {
        s = xcalloc(1, sizeof(*s));
        s->nvals = labels_count;
        s->vals = copy_strings(label_vals, labels_count);
        *c->tail = s;
        c->tail = &s->next;
    }
    s->value += val;
    pthread_mutex_unlock(&g_metrics_lock);
    return 0;
}

/* a label value as the Prometheus text format writes it */
static void put_label_value(FILE *f, const char *v)
{
    for (; *v; v++) {
        switch (*v) {
        case '\\': fputs("\\\\", f); break;
        case '"':  fputs("\\\"", f); break;
        case '\n': fputs("\\n", f); break;
        default:   fputc(*v, f);
        }
    }
}

/* ------------------------------------------------------------------------
 * Environment expansion (flb_env_var_translate): ${NAME}, ${NAME:-default}
 * ---------------------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len;
    size_t cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *np;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        np = realloc(b->p, cap);
        if (!np) {
            fail("out of memory");
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static const char *env_lookup(const char *name)
{
    size_t n, len = strlen(name);
    const char *v;

    for (n = 0; n < g_nsetvars; n++) {
        if (strncmp(g_setvars[n], name, len) == 0 && g_setvars[n][len] == '=') {
            return g_setvars[n] + len + 1;
        }
    }
    v = getenv(name);
    if (v && *v == '\0') {
        return NULL;                 /* Fluent Bit treats empty as unset */
    }
    return v;
}

static char *env_expand(const char *value)
{
    struct sbuf b = {0};
    const char *p = value;
    const char *s, *e, *val;
    char *name, *colon, *def;

    sb_add(&b, "", 0);
    while ((s = strstr(p, "${")) != NULL && (e = strchr(s + 2, '}')) != NULL) {
        sb_add(&b, p, (size_t) (s - p));
        name = xstrndup(s + 2, (size_t) (e - s - 2));
        def = NULL;
        colon = strchr(name, ':');
        if (colon && colon[1] == '-') {
            def = colon + 2;
            *colon = '\0';
        }
        val = *name ? env_lookup(name) : NULL;
        if (val && !(def && *val == '\0')) {
            sb_add(&b, val, strlen(val));
        }
        else if (def) {
            sb_add(&b, def, strlen(def));
        }
        else {
            hostdebug("${%s} is not set: expands to nothing", name);
        }
        free(name);
        p = e + 1;
    }
    sb_add(&b, p, strlen(p));
    return b.p;
}

/* ------------------------------------------------------------------------
 * Property setting, as flb_output_set_property() does it
 * ---------------------------------------------------------------------- */

/* Keys flb_output_set_property() consumes itself (Linux build, TLS and regex
 * on).  They never land in ins->properties, so the plugin reads NULL. */
static const char *const reserved_keys[] = {
    "match", "match_regex", "alias", "log_level", "log_suppress_interval",
    "host", "port", "ipv6", "retry_limit",
    "tls", "tls.verify", "tls.verify_hostname", "tls.debug", "tls.vhost",
    "tls.ca_path", "tls.ca_file", "tls.crt_file", "tls.key_file",
    "tls.key_passwd", "tls.min_version", "tls.max_version", "tls.ciphers",
    "tls.proxy.verify", "tls.proxy.verify_hostname", "tls.proxy.ca_path",
    "tls.proxy.ca_file",
    "storage.total_limit_size", "workers",
    NULL
};

static int is_reserved(const char *key)
{
    int i;

    for (i = 0; reserved_keys[i]; i++) {
        if (strcasecmp(key, reserved_keys[i]) == 0) {
            return 1;
        }
    }
    if (strncasecmp(key, "net.", 4) == 0 || strncasecmp(key, "oauth2", 6) == 0) {
        return 1;
    }
    return 0;
}

static int bool_value(const char *v)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcasecmp(v, "yes")) {
        return 1;
    }
    if (!strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcasecmp(v, "no")) {
        return 0;
    }
    return -1;
}

static void prop_append(struct flb_output_instance *ins, const char *key, char *val)
{
    if (ins->nprops == ins->cap) {
        size_t cap = ins->cap ? ins->cap * 2 : 16;
        struct prop *np = realloc(ins->props, cap * sizeof(*np));
        if (!np) {
            fail("out of memory");
        }
        ins->props = np;
        ins->cap = cap;
    }
    ins->props[ins->nprops].key = xstrdup(key);
    ins->props[ins->nprops].val = val;
    ins->nprops++;
}

/* returns 0, or -1 when Fluent Bit would reject the configuration */
static int set_property(struct flb_output_instance *ins, const char *key,
                        const char *value)
{
    char *tmp;
    int l;

    /* the config loader uses these and never passes them on */
    if (!strcasecmp(key, "name") || !strcasecmp(key, "routes")) {
        return 0;
    }

    tmp = env_expand(value);
    if (*tmp == '\0') {
        free(tmp);
        tmp = NULL;
    }

    if (!strcasecmp(key, "log_level") && tmp) {
        l = level_from_name(tmp);
        if (l < 0) {
            hostlog("instance '%s': invalid log_level '%s': Fluent Bit refuses "
                    "to start", ins->name, tmp);
            free(tmp);
            return -1;
        }
        ins->log_level = l;          /* a later log_level overrides */
        free(tmp);
        return 0;
    }
    if (!strcasecmp(key, "tls") && tmp && bool_value(tmp) == 1 &&
        !(ins->reg->def->flags & (FLB_IO_TLS | FLB_IO_OPT_TLS))) {
        hostlog("instance '%s': 'tls %s' but the plugin registered without "
                "FLB_IO_TLS: Fluent Bit says \"does not support TLS\" and "
                "refuses to start", ins->name, tmp);
        free(tmp);
        return -1;
    }
    if (is_reserved(key)) {
        hostdebug("instance '%s': '%s' is kept by Fluent Bit, not passed on",
                  ins->name, key);
        free(tmp);
        return 0;
    }
    prop_append(ins, key, tmp);
    return 0;
}

/* ------------------------------------------------------------------------
 * Classic-format property file
 * ---------------------------------------------------------------------- */

struct kv_list {
    char **k;
    char **v;
    size_t n;
    size_t cap;
};

static void kv_add(struct kv_list *l, const char *k, size_t klen, const char *v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nk = realloc(l->k, cap * sizeof(char *));
        char **nv;
        if (!nk) {
            fail("out of memory");
        }
        l->k = nk;
        nv = realloc(l->v, cap * sizeof(char *));
        if (!nv) {
            fail("out of memory");
        }
        l->v = nv;
        l->cap = cap;
    }
    l->k[l->n] = xstrndup(k, klen);
    l->v[l->n] = xstrdup(v);
    l->n++;
}

static void kv_free(struct kv_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->k[i]);
        free(l->v[i]);
    }
    free(l->k);
    free(l->v);
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) {
        *--e = '\0';
    }
    return s;
}

static void setvar(const char *assign)
{
    const char *eq = strchr(assign, '=');
    size_t n, klen;
    char **nv;

    if (!eq || eq == assign) {
        fail("@SET needs KEY=VALUE: '%s'", assign);
    }
    klen = (size_t) (eq - assign);
    for (n = 0; n < g_nsetvars; n++) {
        if (strncmp(g_setvars[n], assign, klen) == 0 && g_setvars[n][klen] == '=') {
            return;                  /* first definition stays */
        }
    }
    nv = realloc(g_setvars, (g_nsetvars + 1) * sizeof(char *));
    if (!nv) {
        fail("out of memory");
    }
    g_setvars = nv;
    g_setvars[g_nsetvars++] = xstrdup(assign);
}

/*
 * "Key Value" lines.  Lines outside any section and lines in [OUTPUT]
 * sections are read; other sections ([SERVICE], [INPUT], ...) are skipped so
 * a whole fluent-bit.conf can be given.
 */
static void read_prop_file(const char *path, struct kv_list *out)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    long n = 0;
    int take = 1;

    if (!f) {
        fail("cannot open property file '%s': %s", path, strerror(errno));
    }
    while (getline(&line, &cap, f) != -1) {
        char *s = trim(line);
        char *sep;

        n++;
        if (*s == '\0' || *s == '#') {
            continue;
        }
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end) {
                fail("%s:%ld: bad section header", path, n);
            }
            *end = '\0';
            take = strcasecmp(trim(s + 1), "OUTPUT") == 0;
            continue;
        }
        if (*s == '@') {
            if (strncasecmp(s, "@SET ", 5) == 0) {
                setvar(trim(s + 5));
                continue;
            }
            fail("%s:%ld: '%s' is not supported by the host", path, n, s);
        }
        if (!take) {
            continue;
        }
        sep = s + strcspn(s, " \t");
        if (*sep == '\0' || *trim(sep) == '\0') {
            fail("%s:%ld: key '%s' has no value (Fluent Bit refuses this)",
                 path, n, s);
        }
        kv_add(out, s, (size_t) (sep - s), trim(sep));
    }
    free(line);
    fclose(f);
}

/* ------------------------------------------------------------------------
 * Loading and registration
 * ---------------------------------------------------------------------- */

static void *sym(void *h, const char *name)
{
    void *p;

    dlerror();
    p = dlsym(h, name);
    if (dlerror() != NULL) {
        return NULL;
    }
    return p;
}

static void *plugin_dlopen(void)
{
    /* Fluent Bit: dlopen(path, RTLD_LAZY) in flb_plugin_proxy_create() */
    void *h = dlopen(g_plugin_path, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        fail("dlopen %s: %s", g_plugin_path, dlerror());
    }
    return h;
}

static void load_plugin(void)
{
    void *h = plugin_dlopen();

    *(void **) &S.reg = sym(h, "FLBPluginRegister");
    *(void **) &S.init = sym(h, "FLBPluginInit");
    *(void **) &S.flush_ctx = sym(h, "FLBPluginFlushCtx");
    *(void **) &S.flush = sym(h, "FLBPluginFlush");
    *(void **) &S.exit_ctx = sym(h, "FLBPluginExitCtx");
    *(void **) &S.exit = sym(h, "FLBPluginExit");
    *(void **) &S.unreg = sym(h, "FLBPluginUnregister");
    *(void **) &S.pre_reg = sym(h, "FLBPluginPreRegister");
    *(void **) &S.pre_run = sym(h, "FLBPluginOutputPreRun");
    *(void **) &S.pre_exit = sym(h, "FLBPluginOutputPreExit");

    if (!S.reg) {
        fail("%s: missing symbol FLBPluginRegister", g_plugin_path);
    }
    if (!S.init) {
        fail("%s: missing symbol FLBPluginInit", g_plugin_path);
    }
    if (!S.flush_ctx && !S.flush) {
        fail("%s: missing symbol FLBPluginFlushCtx (or FLBPluginFlush)", g_plugin_path);
    }
    hostdebug("loaded %s: FlushCtx=%s Flush=%s ExitCtx=%s Exit=%s Unregister=%s "
              "PreRegister=%s OutputPreRun=%s OutputPreExit=%s", g_plugin_path,
              S.flush_ctx ? "yes" : "no", S.flush ? "yes" : "no",
              S.exit_ctx ? "yes" : "no", S.exit ? "yes" : "no",
              S.unreg ? "yes" : "no", S.pre_reg ? "yes" : "no",
              S.pre_run ? "yes" : "no", S.pre_exit ? "yes" : "no");
    /* this first reference stays for the life of the process, as the
     * Go runtime's own (it is marked NODELETE anyway) */
    (void) h;
}

static struct registration *do_register(int hot, int *rc_out)
{
    struct registration *reg = xcalloc(1, sizeof(*reg));
    struct registration **pp;
    int rc;

    reg->seq = ++g_reg_seq;
    reg->handle = plugin_dlopen();
    reg->def = xcalloc(1, sizeof(*reg->def));
    reg->api = xmalloc(sizeof(*reg->api));
    api_fill(reg->api, 0);

    rc = 0;
    if (S.pre_reg) {
        hostdebug("FLBPluginPreRegister(%d)", hot);
        rc = S.pre_reg(hot);
        if (rc == -1) {
            hostlog("FLBPluginPreRegister(%d) returned -1: Fluent Bit does not "
                    "register the plugin", hot);
        }
    }
    if (rc != -1) {
        hostdebug("FLBPluginRegister(def)");
        rc = S.reg(reg->def);
        if (rc == -1) {
            hostlog("FLBPluginRegister returned -1: Fluent Bit drops the plugin");
        }
        else if (reg->def->type != FLB_PROXY_OUTPUT_PLUGIN ||
                 reg->def->proxy != FLB_PROXY_GOLANG) {
            hostlog("FLBPluginRegister set type=%d proxy=%d; a Go output needs "
                    "type=%d proxy=%d: Fluent Bit creates no output plugin",
                    reg->def->type, reg->def->proxy,
                    FLB_PROXY_OUTPUT_PLUGIN, FLB_PROXY_GOLANG);
        }
        else {
            /* proxy_go_output_register(): flb_malloc, fields set later */
            reg->gop = xmalloc(sizeof(*reg->gop));
            memset(reg->gop, 0xAA, sizeof(*reg->gop));
            reg->gop->name = reg->def->name ? xstrdup(reg->def->name) : NULL;
            reg->gop->cb_init = S.init;
            reg->gop->cb_flush = S.flush;
            reg->gop->cb_flush_ctx = S.flush_ctx;
            reg->gop->cb_exit = S.exit;
            reg->gop->cb_exit_ctx = S.exit_ctx;
            reg->usable = 1;
        }
    }

    for (pp = &g_regs; *pp; pp = &(*pp)->next) {
    }
    *pp = reg;
    g_cur = reg;
    *rc_out = rc;
    return reg;
}

static int reg_live_instances(struct registration *reg)
{
    struct flb_output_instance *i;
    int live = 0;

    pthread_mutex_lock(&g_inst_lock);
    for (i = g_inst_head; i; i = i->next) {
        if (i->reg == reg && i->state != INST_DEAD) {
            live++;
        }
    }
    pthread_mutex_unlock(&g_inst_lock);
    return live;
}

static void do_unregister(struct registration *reg)
{
    int live = reg_live_instances(reg);

    if (live) {
        hostlog("warning: unregistering while %d instance(s) are live; Fluent "
                "Bit always exits instances first", live);
    }

    if (S.unreg) {
        hostdebug("FLBPluginUnregister(def #%d)", reg->seq);
        S.unreg(reg->def);
    }
    reg->unregistered = 1;
    if (g_cur == reg) {
        g_cur = NULL;
    }
    /* flb_proxy_output_cb_destroy + flb_plugin_proxy_destroy free these;
     * the api is marked stale once no instance of this registration lives
     * (a script that unregisters before exiting is not the plugin's fault) */
    if (live == 0) {
        api_fill(reg->api, 1);
    }
    if (reg->gop) {
        free(reg->gop->name);
        poison_free(reg->gop, sizeof(*reg->gop));
        reg->gop = NULL;
    }
    poison_free(reg->def, sizeof(*reg->def));
    reg->def = NULL;
    dlclose(reg->handle);
    reg->handle = NULL;
}

/* ------------------------------------------------------------------------
 * Instances
 * ---------------------------------------------------------------------- */

static struct flb_output_instance *find_live(const char *name)
{
    struct flb_output_instance *i;

    for (i = g_inst_head; i; i = i->next) {
        if (i->state == INST_LIVE && strcmp(i->name, name) == 0) {
            return i;
        }
    }
    return NULL;
}

static struct flb_output_instance *need_live(const char *name)
{
    struct flb_output_instance *i = find_live(name);
    if (!i) {
        fail("unknown instance '%s'", name);
    }
    return i;
}

/* instance is dead: free what Fluent Bit frees (caller: no plugin calls) */
static void instance_bury(struct flb_output_instance *ins)
{
    size_t n;

    pthread_mutex_lock(&g_inst_lock);
    ins->state = INST_DEAD;
    for (n = 0; n < ins->nprops; n++) {
        poison_free_str(ins->props[n].key);
        poison_free_str(ins->props[n].val);
    }
    free(ins->props);
    ins->props = NULL;
    ins->nprops = ins->cap = 0;
    poison_free(ins->ctx, sizeof(*ins->ctx));
    ins->ctx = NULL;
    pthread_mutex_unlock(&g_inst_lock);
    if (ins->reg->unregistered && reg_live_instances(ins->reg) == 0) {
        api_fill(ins->reg->api, 1);  /* deferred by do_unregister() */
    }
}

static void cmd_instance(int argc, char **argv)
{
    struct flb_output_instance *ins;
    struct registration *reg = g_cur;
    struct kv_list kv = {0};
    size_t n;
    int i, rc, bad = 0;

    if (argc < 2) {
        fail("usage: instance NAME [@FILE] [key=value ...]");
    }
    if (find_live(argv[1])) {
        fail("instance '%s' already exists", argv[1]);
    }
    if (!reg) {
        fail("instance '%s': no live registration (run 'register' first)", argv[1]);
    }
    if (!reg->usable) {
        fail("instance '%s': the registration failed, Fluent Bit has no such "
             "output plugin", argv[1]);
    }

    for (i = 2; i < argc; i++) {
        if (argv[i][0] == '@') {
            read_prop_file(argv[i] + 1, &kv);
        }
    }
    for (i = 2; i < argc; i++) {
        char *eq;
        if (argv[i][0] == '@') {
            continue;
        }
        eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fail("instance '%s': '%s' is not key=value", argv[1], argv[i]);
        }
        kv_add(&kv, argv[i], (size_t) (eq - argv[i]), eq + 1);
    }

    ins = xcalloc(1, sizeof(*ins));
    ins->magic = INST_MAGIC;
    ins->state = INST_INIT;
    ins->name = xstrdup(argv[1]);
    ins->log_level = -1;
    ins->reg = reg;
    ins->ctx = xcalloc(1, sizeof(*ins->ctx));
    ins->ctx->proxy = reg;
    ins->cmt = xcalloc(1, sizeof(*ins->cmt));
    ins->cmt->ins = ins;
    ins->cmt->tail = &ins->cmt->counters;

    for (n = 0; n < kv.n && !bad; n++) {
        if (set_property(ins, kv.k[n], kv.v[n]) != 0) {
            bad = 1;
        }
    }
    kv_free(&kv);
    if (ins->log_level == -1) {
        ins->log_level = g_default_level;
    }

    pthread_mutex_lock(&g_inst_lock);
    if (g_inst_tail) {
        g_inst_tail->next = ins;
    }
    else {
        g_inst_head = ins;
    }
    g_inst_tail = ins;
    pthread_mutex_unlock(&g_inst_lock);

    if (bad) {
        instance_bury(ins);
        result("init %s rc=-1", ins->name);
        return;
    }

    /* proxy_go_output_init(): re-point the shared object, then init */
    reg->gop->api = reg->api;
    reg->gop->o_ins = ins;
    reg->gop->context = ins->ctx;
    hostdebug("FLBPluginInit for instance '%s' (o_ins=%p)", ins->name, (void *) ins);
    rc = reg->gop->cb_init(reg->gop);
    result("init %s rc=%d", ins->name, rc);

    if (rc <= 0) {
        hostlog("instance '%s': FLBPluginInit returned %d: Fluent Bit reports "
                "\"plugin failed to initialize\" and refuses to start",
                ins->name, rc);
        instance_bury(ins);
        return;
    }
    if (rc != FLB_OK) {
        hostlog("instance '%s': FLBPluginInit returned %d; Fluent Bit accepts "
                "any value > 0", ins->name, rc);
    }
    if (ins->ctx->remote_context == NULL && S.flush_ctx) {
        hostlog("warning: instance '%s': FLBPluginInit did not set a context; "
                "FLBPluginFlushCtx will get NULL", ins->name);
    }
    pthread_mutex_lock(&g_inst_lock);
    ins->state = INST_LIVE;
    pthread_mutex_unlock(&g_inst_lock);

    if (S.pre_run) {
        /* flb_output_pre_run(): config->enable_hot_reload */
        hostdebug("FLBPluginOutputPreRun(1) after init of '%s'", ins->name);
        S.pre_run(1);
    }
}

/* returns the exit callback's rc */
static int instance_exit(struct flb_output_instance *ins, int by_reload)
{
    int rc = 0;
    void *remote;

    if (S.pre_exit) {
        hostdebug("FLBPluginOutputPreExit(%d)", by_reload);
        S.pre_exit(by_reload);
    }
    remote = ins->ctx->remote_context;
    if (S.exit_ctx) {
        hostdebug("FLBPluginExitCtx for instance '%s'", ins->name);
        rc = S.exit_ctx(remote);
    }
    else if (S.exit) {
        hostdebug("FLBPluginExit for instance '%s'", ins->name);
        rc = S.exit();
    }
    instance_bury(ins);
    return rc;
}

/* ------------------------------------------------------------------------
 * Flush, directly or on a coroutine stack
 * ---------------------------------------------------------------------- */

struct flush_job {
    struct flb_output_instance *ins;
    const void *data;
    size_t len;
    char *tag;
    int rc;
};

static _Thread_local struct flush_job *tl_job;

static int call_flush(struct flush_job *j)
{
    /* proxy_go_output_flush(): remote_context read at flush time */
    void *remote = j->ins->ctx->remote_context;

    if (S.flush_ctx) {
        return S.flush_ctx(remote, j->data, j->len, j->tag);
    }
    return S.flush(j->data, j->len, j->tag);
}

static void coro_entry(void)
{
    struct flush_job *j = tl_job;
    j->rc = call_flush(j);
    /* returning resumes uc_link, the caller */
}

static int run_flush(struct flush_job *j)
{
    size_t page, rounded, maplen;
    char *base, *sp;
    ucontext_t caller, co;
#ifdef HOST_HAVE_VALGRIND
    unsigned vg_id;
#endif

    if (!g_use_coro) {
        j->rc = call_flush(j);
        return j->rc;
    }

    /*
     * Fluent Bit (libco, amd64) mallocs the coroutine stack for each flush.
     * The host maps it with a PROT_NONE guard page below, so an overflow
     * crashes here instead of silently corrupting the heap.
     */
    page = (size_t) sysconf(_SC_PAGESIZE);
    rounded = (g_stack_size + page - 1) & ~(page - 1);
    maplen = page + rounded;
    base = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        fail("mmap coroutine stack: %s", strerror(errno));
    }
    if (mprotect(base, page, PROT_NONE) != 0) {
        fail("mprotect guard page: %s", strerror(errno));
    }
    sp = base + page + (rounded - g_stack_size);

    if (getcontext(&co) != 0) {
        fail("getcontext: %s", strerror(errno));
    }
    co.uc_stack.ss_sp = sp;
    co.uc_stack.ss_size = g_stack_size;
    co.uc_link = &caller;
    makecontext(&co, coro_entry, 0);

#ifdef HOST_HAVE_VALGRIND
    vg_id = VALGRIND_STACK_REGISTER(sp, sp + g_stack_size);
#endif
    tl_job = j;
    if (swapcontext(&caller, &co) != 0) {
        fail("swapcontext: %s", strerror(errno));
    }
    tl_job = NULL;
#ifdef HOST_HAVE_VALGRIND
    VALGRIND_STACK_DEREGISTER(vg_id);
#endif
    munmap(base, maplen);
    return j->rc;
}

/* one flush with fresh copies of data and tag, poisoned afterwards */
static int flush_once(struct flb_output_instance *ins, const char *data,
                      size_t len, const char *tag)
{
    struct flush_job j;
    char *copy = xmalloc(len);
    size_t tlen = strlen(tag);
    char *tcopy = xmalloc(tlen + 1);

    memcpy(copy, data, len);
    memcpy(tcopy, tag, tlen + 1);
    j.ins = ins;
    j.data = copy;
    j.len = len;
    j.tag = tcopy;
    j.rc = -1;
    run_flush(&j);
    poison_free(copy, len);
    poison_free(tcopy, tlen + 1);
    return j.rc;
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (!f) {
        fail("cannot open '%s': %s", path, strerror(errno));
    }
    for (;;) {
        if (n == cap) {
            char *nb;
            cap = cap ? cap * 2 : 65536;
            nb = realloc(buf, cap);
            if (!nb) {
                fail("out of memory");
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fail("cannot read '%s'", path);
    }
    fclose(f);
    *len = n;
    return buf;
}

static void note_rc(const char *name, int rc)
{
    if (rc != FLB_OK && rc != FLB_RETRY && rc != FLB_ERROR) {
        hostlog("instance '%s': flush returned %d; Fluent Bit treats it as "
                "FLB_ERROR", name, rc);
    }
}

static void cmd_flush(int argc, char **argv)
{
    struct flb_output_instance *ins;
    const char *tag = "kcs.events";
    char *data;
    size_t len;
    int rc;

    if (argc < 3 || argc > 4) {
        fail("usage: flush NAME FILE [TAG]");
    }
    ins = need_live(argv[1]);
    if (argc == 4) {
        tag = argv[3];
    }
    data = read_whole(argv[2], &len);
    rc = flush_once(ins, data, len, tag);
    free(data);
    note_rc(ins->name, rc);
    result("flush %s rc=%d", ins->name, rc);
}

/* flushretry NAME FILE TRIES DELAY_MS: what Fluent Bit does with a chunk: flush it, and flush it again
 * after DELAY_MS while the plugin answers FLB_RETRY, at most TRIES times in all. Prints the last return
 * code, the number of flushes and the milliseconds they took. */
static void cmd_flushretry(int argc, char **argv)
{
    struct flb_output_instance *ins;
    struct timespec t0, t1;
    char *data, *end;
    size_t len;
    long tries, delay, n;
    int rc = FLB_RETRY;

    if (argc != 5) {
        fail("usage: flushretry NAME FILE TRIES DELAY_MS");
    }
    ins = need_live(argv[1]);
    tries = strtol(argv[3], &end, 10);
    if (*end || tries < 1) {
        fail("flushretry: TRIES must be a number >= 1, not '%s'", argv[3]);
    }
    delay = strtol(argv[4], &end, 10);
    if (*end || delay < 0) {
        fail("flushretry: DELAY_MS must be a number >= 0, not '%s'", argv[4]);
    }
    data = read_whole(argv[2], &len);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (n = 0; n < tries && rc == FLB_RETRY; n++) {
        if (n > 0) {
            struct timespec d = { delay / 1000, (delay % 1000) * 1000000L };
            nanosleep(&d, NULL);
        }
        rc = flush_once(ins, data, len, "kcs.events");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(data);
    note_rc(ins->name, rc);
    result("flushretry %s rc=%d tries=%ld ms=%ld", ins->name, rc, n,
           (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
}

struct mt_arg {
    pthread_t th;
    struct flb_output_instance *ins;
    const char *data;
    size_t len;
    long count;
    long ok, retry, error, other;
};

static void *mt_main(void *p)
{
    struct mt_arg *a = p;
    long n;

    for (n = 0; n < a->count; n++) {
        int rc = flush_once(a->ins, a->data, a->len, "kcs.events");
        switch (rc) {
        case FLB_OK:    a->ok++;    break;
        case FLB_RETRY: a->retry++; break;
        case FLB_ERROR: a->error++; break;
        default:        a->other++; break;
        }
    }
    return NULL;
}

static void cmd_flushmt(int argc, char **argv)
{
    struct flb_output_instance *ins;
    struct mt_arg *args;
    long threads, count, t;
    long ok = 0, retry = 0, error = 0, other = 0;
    char *data;
    size_t len;
    int err;

    if (argc != 5) {
        fail("usage: flushmt NAME FILE THREADS COUNT");
    }
    ins = need_live(argv[1]);
    if (parse_long(argv[3], 1, 1024, &threads) != 0) {
        fail("flushmt: THREADS must be 1..1024, not '%s'", argv[3]);
    }
    if (parse_long(argv[4], 0, LONG_MAX, &count) != 0) {
        fail("flushmt: COUNT must be a number >= 0, not '%s'", argv[4]);
    }
    data = read_whole(argv[2], &len);
    args = xcalloc((size_t) threads, sizeof(*args));
    for (t = 0; t < threads; t++) {
        args[t].ins = ins;
        args[t].data = data;
        args[t].len = len;
        args[t].count = count;
        err = pthread_create(&args[t].th, NULL, mt_main, &args[t]);
        if (err != 0) {
            fail("pthread_create: %s", strerror(err));
        }
    }
    for (t = 0; t < threads; t++) {
        pthread_join(args[t].th, NULL);
        ok += args[t].ok;
        retry += args[t].retry;
        error += args[t].error;
        other += args[t].other;
    }
    free(args);
    free(data);
    if (other) {
        hostlog("instance '%s': %ld flush(es) returned a value other than 0, 1 "
                "or 2; Fluent Bit treats them as FLB_ERROR", ins->name, other);
    }
    result("flushmt %s ok=%ld retry=%ld error=%ld other=%ld",
           ins->name, ok, retry, error, other);
}

/* ------------------------------------------------------------------------
 * Other commands
 * ---------------------------------------------------------------------- */

static void cmd_register(int argc)
{
    struct registration *reg;
    int rc;

    if (argc != 1) {
        fail("usage: register");
    }
    reg = do_register(g_reloads > 0 ? 1 : 0, &rc);
    result("register rc=%d name=%s", rc,
           reg->def->name ? reg->def->name : "(null)");
}

static void cmd_exit(int argc, char **argv)
{
    struct flb_output_instance *ins;
    char *name;
    int rc;

    if (argc != 2) {
        fail("usage: exit NAME");
    }
    ins = need_live(argv[1]);
    name = ins->name;
    rc = instance_exit(ins, 0);
    result("exit %s rc=%d", name, rc);
}

static void cmd_exitall(int argc)
{
    int rc;

    if (argc != 1) {
        fail("usage: exitall");
    }
    if (!S.exit) {
        result("exitall absent");
        return;
    }
    hostdebug("FLBPluginExit()");
    rc = S.exit();
    result("exitall rc=%d", rc);
}

static void cmd_unregister(int argc)
{
    if (argc != 1) {
        fail("usage: unregister");
    }
    if (!g_cur) {
        fail("unregister: no live registration");
    }
    do_unregister(g_cur);
    result("unregister");
}

/*
 * flb_reload(): the new context loads the config (PreRegister(1) and
 * Register on a new def), flb_stop() on the old one exits every output
 * instance in order, flb_destroy() unregisters the old plugin, then
 * flb_start() inits the new instances (the script's following lines).
 */
static void cmd_reload(int argc)
{
    struct registration *old = g_cur;
    struct flb_output_instance *i;
    int rc, exited = 0;

    if (argc != 1) {
        fail("usage: reload");
    }
    g_reloads++;
    do_register(1, &rc);
    if (rc == -1) {
        hostlog("reload: the new registration failed (Fluent Bit would halt "
                "the reload); continuing as the script says");
    }
    for (i = g_inst_head; i; i = i->next) {
        if (i->state == INST_LIVE) {
            rc = instance_exit(i, 1);
            hostdebug("reload: exit of '%s' returned %d", i->name, rc);
            exited++;
        }
    }
    if (old && !old->unregistered) {
        do_unregister(old);
    }
    result("reload exited=%d", exited);
}

/* metrics NAME: the series of the instance's cmetrics context, in the
 * Prometheus text format, in the order they were made */
static void cmd_metrics(int argc, char **argv)
{
    struct flb_output_instance *ins;
    struct cmt_counter *c;
    struct host_series *s;
    int n = 0, k;

    if (argc != 2) {
        fail("usage: metrics NAME");
    }
    ins = need_live(argv[1]);
    pthread_mutex_lock(&g_metrics_lock);
    for (c = ins->cmt->counters; c; c = c->next) {
        for (s = c->series; s; s = s->next) {
            n++;
        }
    }
    result("metrics %s %d", ins->name, n);
    for (c = ins->cmt->counters; c; c = c->next) {
        for (s = c->series; s; s = s->next) {
            fputs(c->fqname, stdout);
            for (k = 0; k < s->nvals; k++) {
                fprintf(stdout, "%s%s=\"", k ? "," : "{", c->keys[k]);
                put_label_value(stdout, s->vals[k] ? s->vals[k] : "");
                fputc('"', stdout);
            }
            result("%s %.17g", s->nvals ? "}" : "", s->value);
        }
    }
    pthread_mutex_unlock(&g_metrics_lock);
}

static void cmd_sockets(int argc)
{
    DIR *d;
    struct dirent *e;
    char target[256];
    int count = 0;
    ssize_t n;

    if (argc != 1) {
        fail("usage: sockets");
    }
    d = opendir("/proc/self/fd");
    if (!d) {
        fail("opendir /proc/self/fd: %s", strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
        if (n <= 0) {
            continue;
        }
        target[n] = '\0';
        if (strncmp(target, "socket:", 7) == 0) {
            count++;
        }
    }
    closedir(d);
    result("sockets %d", count);
}

static void cmd_sleep(int argc, char **argv)
{
    long ms;
    struct timespec ts;

    if (argc != 2 || parse_long(argv[1], 0, 86400000L, &ms) != 0) {
        fail("usage: sleep MS");
    }
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------
 * Script
 * ---------------------------------------------------------------------- */

#define MAX_TOKENS 256

/* split in place on blanks; double quotes group (and are removed) */
static int tokenize(char *line, char **argv)
{
    char *p = line;
    int argc = 0;

    for (;;) {
        char *out;
        int inq = 0, at_end;

        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        if (argc == MAX_TOKENS) {
            fail("too many tokens (max %d)", MAX_TOKENS);
        }
        out = p;
        argv[argc++] = out;
        while (*p && (inq || (*p != ' ' && *p != '\t'))) {
            if (*p == '"') {
                inq = !inq;
                p++;
                continue;
            }
            *out++ = *p++;
        }
        if (inq) {
            fail("unterminated double quote");
        }
        at_end = (*p == '\0');
        *out = '\0';
        if (at_end) {
            break;
        }
        p++;
    }
    return argc;
}

static void run_command(int argc, char **argv)
{
    const char *c = argv[0];

    if (!strcmp(c, "register"))        cmd_register(argc);
    else if (!strcmp(c, "instance"))   cmd_instance(argc, argv);
    else if (!strcmp(c, "flush"))      cmd_flush(argc, argv);
    else if (!strcmp(c, "flushmt"))    cmd_flushmt(argc, argv);
    else if (!strcmp(c, "flushretry")) cmd_flushretry(argc, argv);
    else if (!strcmp(c, "exit"))       cmd_exit(argc, argv);
    else if (!strcmp(c, "exitall"))    cmd_exitall(argc);
    else if (!strcmp(c, "unregister")) cmd_unregister(argc);
    else if (!strcmp(c, "reload"))     cmd_reload(argc);
    else if (!strcmp(c, "sockets"))    cmd_sockets(argc);
    else if (!strcmp(c, "metrics"))    cmd_metrics(argc, argv);
    else if (!strcmp(c, "sleep"))      cmd_sleep(argc, argv);
    else fail("unknown command '%s'", c);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: flb-host [-l LEVEL] [-c 0|1] [-S STACK_BYTES] PLUGIN.so SCRIPT\n"
            "  -l  default instance log level: error|warn|info|debug|trace|off or 0-5 (info)\n"
            "  -c  1: flush on a ucontext coroutine stack (default), 0: direct call\n"
            "  -S  coroutine stack size in bytes (default %d)\n"
            "  SCRIPT is a file or - for stdin\n", DEFAULT_CORO_STACK);
    exit(2);
}

int main(int argc, char **argv)
{
    FILE *script;
    char *line = NULL;
    size_t cap = 0;
    char *tokens[MAX_TOKENS];
    int opt, v;
    long n;

    while ((opt = getopt(argc, argv, "l:c:S:h")) != -1) {
        switch (opt) {
        case 'l':
            v = level_from_name(optarg);
            if (v < 0) {
                if (parse_long(optarg, 0, 5, &n) != 0) {
                    fprintf(stderr, "flb-host: bad log level '%s'\n", optarg);
                    usage();
                }
                v = (int) n;
            }
            g_default_level = v;
            break;
        case 'c':
            if (parse_long(optarg, 0, 1, &n) != 0) {
                fprintf(stderr, "flb-host: -c takes 0 or 1\n");
                usage();
            }
            g_use_coro = (int) n;
            break;
        case 'S':
            if (parse_long(optarg, 1, 1L << 30, &n) != 0 ||
                n < sysconf(_SC_PAGESIZE)) {
                fprintf(stderr, "flb-host: -S needs a byte count >= the page "
                        "size (Fluent Bit refuses less)\n");
                usage();
            }
            g_stack_size = (size_t) n;
            break;
        default:
            usage();
        }
    }
    if (argc - optind != 2) {
        usage();
    }
    g_plugin_path = argv[optind];
    if (!strchr(g_plugin_path, '/')) {
        /* a bare name is a file here, not a library search */
        static char local[PATH_MAX];
        snprintf(local, sizeof(local), "./%s", g_plugin_path);
        g_plugin_path = local;
    }
    g_script_name = argv[optind + 1];

    /* flb_config_init(): before any plugin is loaded */
    signal(SIGPIPE, SIG_IGN);

    if (strcmp(g_script_name, "-") == 0) {
        script = stdin;
        g_script_name = "<stdin>";
    }
    else {
        script = fopen(g_script_name, "r");
        if (!script) {
            fail("cannot open script '%s': %s", g_script_name, strerror(errno));
        }
    }

    load_plugin();

    while (getline(&line, &cap, script) != -1) {
        char *s;
        int ntok;

        g_lineno++;
        s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        ntok = tokenize(s, tokens);
        if (ntok == 0) {
            continue;
        }
        run_command(ntok, tokens);
    }
    free(line);
    if (script != stdin) {
        fclose(script);
    }
    g_lineno = 0;

    if (atomic_load(&g_violations) > 0) {
        hostlog("%d ABI violation(s): exit status 3", atomic_load(&g_violations));
        fflush(stdout);
        return 3;
    }
    return 0;
}
