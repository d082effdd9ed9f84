/* N-API surface of the fanotify channel: open, marks, answers, reads, and the answers given in
 * the channel thread (verdict cache, ignore marks, runner filter). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fanotify.h"
#include "napi-helpers.h"

static napi_value fan_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_FANOTIFY); }

/* fanOpen(options, callback) */
static napi_value fan_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  struct bw_channel *ch = new_channel();
  if (!ch) return bw_throw_errno(env, "fanotify", ENOMEM);
  uint32_t max_pending = opt_u32(env, argv[0], "maxPending", 1024);
  int err = bw_channel_init(ch, env, argv[1], "bulwark-fanotify", bw_fanotify_ops(),
                            opt_u32(env, argv[0], "batchSize", 64), (size_t)1 << 20, max_pending ? max_pending : 1,
                            opt_u32(env, argv[0], "deadlineMs", 1000), 64 << 10);
  const char *what = "fanotify: setup";
  uint32_t cache_capacity = opt_u32(env, argv[0], "verdictCacheSize", 0);
  if (cache_capacity > (1u << 22)) cache_capacity = 1u << 22;
  if (err == 0) err = bw_fanotify_open(ch, (int)opt_u32(env, argv[0], "defaultAllow", 1), cache_capacity, &what);
  if (err == 0) bw_fanotify_allow_children(ch, (int)opt_u32(env, argv[0], "allowOwnChildren", 0));
  if (err == 0) bw_fanotify_set_max_ignore_marks(ch, opt_u32(env, argv[0], "maxIgnoreMarks", 0));
  return finish_open(env, ch, err, what);
}

/* fanMark(handle, remove, scopeFlags, mask, path) */
static napi_value fan_mark(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, 5, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  bool remove;
  uint32_t scope;
  double mask;
  char path[4096];
  size_t plen;
  NAPI_CALL(env, napi_get_value_bool(env, argv[1], &remove));
  NAPI_CALL(env, napi_get_value_uint32(env, argv[2], &scope));
  NAPI_CALL(env, napi_get_value_double(env, argv[3], &mask));
  NAPI_CALL(env, napi_get_value_string_utf8(env, argv[4], path, sizeof path, &plen));
  if (!(mask >= 0 && mask < 4294967296.0) || plen >= sizeof path - 1) {
    napi_throw_range_error(env, NULL, "bulwark-kernel: bad mask or path too long");
    return NULL;
  }
  if (ch->closed) return bw_throw_errno(env, "fanotify: closed", EBADF);
  int err = bw_fanotify_mark(ch, remove, scope, (uint64_t)mask, path);
  if (err < 0) return bw_throw_errno(env, remove ? "fanotify: remove mark" : "fanotify: add mark", -err);
  return undefined(env);
}

/* fanRespond(handle, Float64Array tickets, Uint8Array allow) -> late count */
static napi_value fan_respond(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  void *tickets, *allow;
  size_t n, n2;
  if (!typed(env, argv[1], napi_float64_array, &tickets, &n) || !typed(env, argv[2], napi_uint8_array, &allow, &n2) ||
      n2 < n) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: fanRespond(handle, Float64Array, Uint8Array)");
    return NULL;
  }
  if (ch->closed) return bw_throw_errno(env, "fanotify: closed", EBADF);
  uint32_t late = 0;
  for (size_t i = 0; i < n; i++) {
    int was_late = 0;
    uint8_t a = ((uint8_t *)allow)[i];
    bw_fanotify_respond(ch, ((double *)tickets)[i], a > BW_ALLOW_UNTIL_MODIFIED ? 1 : a, &was_late);
    late += (uint32_t)was_late;
  }
  napi_value r;
  napi_create_uint32(env, late, &r);
  return r;
}

/* fanCachePut(handle, Float64Array stamp [dev, ino, size, mtime s, ns, ctime s, ns], path, flags) */
static napi_value fan_cache_put(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  void *data;
  size_t n, plen;
  uint32_t flags;
  char path[4096];
  if (!typed(env, argv[1], napi_float64_array, &data, &n) || n != 7 ||
      napi_get_value_string_utf8(env, argv[2], path, sizeof path, &plen) != napi_ok || plen >= sizeof path - 1 ||
      napi_get_value_uint32(env, argv[3], &flags) != napi_ok) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: fanCachePut(handle, Float64Array(7), path, flags)");
    return NULL;
  }
  const double *d = data;
  for (int i = 0; i < 7; i++)
    if (!(d[i] >= 0 && d[i] < 9007199254740992.0)) {
      napi_throw_range_error(env, NULL, "bulwark-kernel: a file stamp field is not a non-negative integer");
      return NULL;
    }
  struct bw_file_stamp st = {.dev = (uint64_t)d[0], .ino = (uint64_t)d[1], .size = (uint64_t)d[2],
                             .mtime_sec = (int64_t)d[3], .mtime_nsec = (int64_t)d[4], .ctime_sec = (int64_t)d[5],
                             .ctime_nsec = (int64_t)d[6]};
  if (ch->closed) return bw_throw_errno(env, "fanotify: closed", EBADF);
  int err = bw_fanotify_cache_put(ch, &st, path, plen, flags & (BW_VERDICT_ALLOW | BW_VERDICT_NOTIFY));
  if (err < 0) return bw_throw_errno(env, "fanotify: verdict cache", -err);
  return undefined(env);
}

/* fanCacheClear(handle) */
static napi_value fan_cache_clear(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  if (!ch->closed) bw_fanotify_cache_clear(ch);
  return undefined(env);
}

/* fanRunners(handle, string[] | null): see bw_fanotify_set_runners. */
static napi_value fan_runners(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  if (ch->closed) return bw_throw_errno(env, "fanotify: closed", EBADF);
  napi_valuetype t;
  NAPI_CALL(env, napi_typeof(env, argv[1], &t));
  if (t == napi_null || t == napi_undefined) {
    bw_fanotify_set_runners(ch, NULL, 0, NULL);
    return undefined(env);
  }
  bool is_array;
  uint32_t count;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &count) != napi_ok || count > 256) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: fanRunners(handle, string[] (at most 256) | null)");
    return NULL;
  }
  char **patterns = calloc(count ? count : 1, sizeof *patterns);
  if (!patterns) return bw_throw_errno(env, "fanotify: runners", ENOMEM);
  int ok = 1;
  for (uint32_t i = 0; i < count && ok; i++) {
    napi_value v;
    size_t len;
    ok = napi_get_element(env, argv[1], i, &v) == napi_ok &&
         napi_get_value_string_utf8(env, v, NULL, 0, &len) == napi_ok && len < 1024 &&
         (patterns[i] = malloc(len + 1)) != NULL && napi_get_value_string_utf8(env, v, patterns[i], len + 1, &len) == napi_ok;
  }
  const char *bad = NULL;
  int err = ok ? bw_fanotify_set_runners(ch, (const char *const *)patterns, count, &bad) : -EINVAL;
  char msg[1200];
  if (err == -EINVAL) snprintf(msg, sizeof msg, "bulwark-kernel: runner pattern refused: %s", bad ? bad : "not a string under 1 KiB");
  for (uint32_t i = 0; i < count; i++) free(patterns[i]);
  free(patterns);
  if (err == -EINVAL) {
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  if (err < 0) return bw_throw_errno(env, "fanotify: runners", -err);
  return undefined(env);
}

/* fanStats(handle): the channel's counts and those of the answers given in the thread. */
static napi_value fan_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  napi_value o = bw_stats_object(env, ch);
  if (ch->closed || ch->source == NULL) return o;
  struct bw_fanotify_fast_stats f;
  bw_fanotify_fast_stats(ch, &f);
  set_u32(env, o, "cacheHits", (double)f.cache.hits);
  set_u32(env, o, "cacheMisses", (double)f.cache.misses);
  set_u32(env, o, "cacheStale", (double)f.cache.stale);
  set_u32(env, o, "cacheEvicted", (double)f.cache.evicted);
  set_u32(env, o, "cacheEntries", (double)f.cache.entries);
  set_u32(env, o, "cacheCapacity", (double)f.cache.capacity);
  set_u32(env, o, "cacheAllowed", (double)f.cache_allowed);
  set_u32(env, o, "cacheDenied", (double)f.cache_denied);
  set_u32(env, o, "opensPassed", (double)f.opens_passed);
  set_u32(env, o, "ignoreMarks", (double)f.ignore_marks);
  set_u32(env, o, "ignoreFlushes", (double)f.ignore_flushes);
  return o;
}

static void free_buf(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* fanRead(handle, ticket, offset, length) -> Buffer, or null when the event is no longer pending */
static napi_value fan_read(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_FANOTIFY);
  if (!ch) return NULL;
  double ticket, offset;
  uint32_t len;
  NAPI_CALL(env, napi_get_value_double(env, argv[1], &ticket));
  NAPI_CALL(env, napi_get_value_double(env, argv[2], &offset));
  NAPI_CALL(env, napi_get_value_uint32(env, argv[3], &len));
  if (!(offset >= 0 && offset < 9007199254740992.0)) {
    napi_throw_range_error(env, NULL, "bulwark-kernel: offset must be a non-negative integer");
    return NULL;
  }
  if (len > (16u << 20)) len = 16u << 20;
  napi_value r;
  if (ch->closed) {
    napi_get_null(env, &r);
    return r;
  }
  void *buf = malloc(len ? len : 1);
  if (!buf) return bw_throw_errno(env, "fanotify: read", ENOMEM);
  ssize_t n = bw_fanotify_read(ch, ticket, (uint64_t)offset, buf, len);
  if (n == -ESRCH) {
    free(buf);
    napi_get_null(env, &r);
    return r;
  }
  if (n < 0) {
    free(buf);
    return bw_throw_errno(env, "fanotify: read file", (int)-n);
  }
  napi_create_external_buffer(env, (size_t)n, buf, free_buf, NULL, &r);
  return r;
}

void bw_define_fanotify(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      {"fanOpen", NULL, fan_open, NULL, NULL, NULL, napi_default, NULL},
      {"fanMark", NULL, fan_mark, NULL, NULL, NULL, napi_default, NULL},
      {"fanRespond", NULL, fan_respond, NULL, NULL, NULL, napi_default, NULL},
      {"fanRead", NULL, fan_read, NULL, NULL, NULL, napi_default, NULL},
      {"fanStats", NULL, fan_stats, NULL, NULL, NULL, napi_default, NULL},
      {"fanCachePut", NULL, fan_cache_put, NULL, NULL, NULL, napi_default, NULL},
      {"fanCacheClear", NULL, fan_cache_clear, NULL, NULL, NULL, napi_default, NULL},
      {"fanRunners", NULL, fan_runners, NULL, NULL, NULL, napi_default, NULL},
      {"fanClose", NULL, fan_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
}
