/* N-API surface of the addon; the TypeScript wrapper in src/ is the only caller. */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>

#include "channel.h"
#include "fanotify.h"
#include "nflog.h"
#include "nfqueue.h"
#include "uevent.h"
#include "rawsend.h"

#define NAPI_CALL(env, call)                                         \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "bulwark-kernel: bad arguments"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static uint32_t opt_u32(napi_env env, napi_value obj, const char *name, uint32_t dflt) {
  napi_value v;
  napi_valuetype t;
  uint32_t out;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return dflt;
  if (napi_typeof(env, v, &t) != napi_ok) return dflt;
  if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    return b ? 1 : 0;
  }
  if (t != napi_number || napi_get_value_uint32(env, v, &out) != napi_ok) return dflt;
  return out;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static struct bw_channel *new_channel(void) { return calloc(1, sizeof(struct bw_channel)); }

/* Common tail of every open: on failure the channel is torn down and an errno error thrown. */
static napi_value finish_open(napi_env env, struct bw_channel *ch, int err, const char *what) {
  if (err == 0) err = bw_channel_start(ch), what = "start reader thread";
  if (err < 0) {
    bw_channel_close(ch);
    ch->refs--; /* the JS handle never existed; the thread-safe function finalizer frees the rest */
    if (ch->tsfn == NULL) free(ch->source), free(ch);
    return bw_throw_errno(env, what, -err);
  }
  return bw_wrap(env, ch);
}

static napi_value get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: missing arguments");
    return NULL;
  }
  return argv[0];
}

/* queueOpen(options, callback) */
static napi_value queue_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  struct bw_nfqueue_options o = {
      .queue = (uint16_t)opt_u32(env, argv[0], "queue", 0),
      .copy_range = opt_u32(env, argv[0], "copyRange", 128),
      .max_queue_len = opt_u32(env, argv[0], "maxQueueLength", 4096),
      .default_accept = (int)opt_u32(env, argv[0], "defaultAccept", 1),
      .rcvbuf_bytes = (int)opt_u32(env, argv[0], "receiveBufferBytes", 8 << 20),
      .accept_bare_acks = (int)opt_u32(env, argv[0], "acceptBareTcpAcks", 0),
  };
  if (o.copy_range > 0xffff) o.copy_range = 0xffff;
  struct bw_channel *ch = new_channel();
  if (!ch) return bw_throw_errno(env, "nfqueue", ENOMEM);
  uint32_t max_pending = opt_u32(env, argv[0], "maxPending", 4096);
  int err = bw_channel_init(ch, env, argv[1], "bulwark-nfqueue", bw_nfqueue_ops(), opt_u32(env, argv[0], "batchSize", 64),
                            (size_t)1 << 20, max_pending ? max_pending : 1, opt_u32(env, argv[0], "deadlineMs", 250),
                            (size_t)256 << 10);
  const char *what = "nfqueue: setup";
  if (err == 0) err = bw_nfqueue_open(ch, &o, &what);
  return finish_open(env, ch, err, what);
}

static napi_value typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok || t != want) return NULL;
  return v;
}

/* queueVerdicts(handle, Float64Array tickets, Uint8Array accept, Uint32Array|undefined marks) -> late count */
static napi_value queue_verdicts(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return get_args(env, info, 3, argv);
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_QUEUE);
  if (!ch) return NULL;
  void *tickets, *verdicts, *marks = NULL;
  size_t n, n2, n3 = 0;
  if (!typed(env, argv[1], napi_float64_array, &tickets, &n) || !typed(env, argv[2], napi_uint8_array, &verdicts, &n2) ||
      n2 < n || (argc > 3 && typed(env, argv[3], napi_uint32_array, &marks, &n3) && n3 < n)) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: queueVerdicts(handle, Float64Array, Uint8Array, Uint32Array?)");
    return NULL;
  }
  if (ch->closed) return bw_throw_errno(env, "nfqueue: closed", EBADF);
  uint32_t late = 0;
  int err = bw_nfqueue_verdicts(ch, tickets, verdicts, marks, n, &late);
  if (err < 0) return bw_throw_errno(env, "nfqueue: send verdict", -err);
  napi_value r;
  napi_create_uint32(env, late, &r);
  return r;
}

/* queueVerdictPayload(handle, ticket, accept, Uint8Array payload, mark|undefined) -> wasLate */
static napi_value queue_verdict_payload(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return get_args(env, info, 4, argv);
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_QUEUE);
  if (!ch) return NULL;
  double ticket;
  bool accept;
  void *payload;
  size_t len;
  NAPI_CALL(env, napi_get_value_double(env, argv[1], &ticket));
  NAPI_CALL(env, napi_get_value_bool(env, argv[2], &accept));
  if (!typed(env, argv[3], napi_uint8_array, &payload, &len) || len > 0xffff - 64) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: payload must be a Uint8Array under 64 KiB");
    return NULL;
  }
  uint32_t mark = 0;
  int has_mark = argc > 4 && napi_get_value_uint32(env, argv[4], &mark) == napi_ok;
  if (ch->closed) return bw_throw_errno(env, "nfqueue: closed", EBADF);
  int late = 0;
  int err = bw_nfqueue_verdict_payload(ch, ticket, accept, payload, len, has_mark, mark, &late);
  if (err < 0) return bw_throw_errno(env, "nfqueue: send verdict", -err);
  napi_value r;
  napi_get_boolean(env, late, &r);
  return r;
}

/* rawSend(Uint8Array packet, mark?) -> 0 or -errno: a complete IP packet out through a raw socket. */
static napi_value raw_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return get_args(env, info, 1, argv);
  void *packet;
  size_t len;
  if (!typed(env, argv[0], napi_uint8_array, &packet, &len) || len > 0xffff) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: packet must be a Uint8Array under 64 KiB");
    return NULL;
  }
  uint32_t mark = 0;
  int has_mark = argc > 1 && napi_get_value_uint32(env, argv[1], &mark) == napi_ok;
  napi_value r;
  napi_create_int32(env, bw_raw_send(packet, len, has_mark, mark), &r);
  return r;
}

static napi_value channel_stats(napi_env env, napi_callback_info info, uint32_t kind) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], kind);
  return ch ? bw_stats_object(env, ch) : NULL;
}

static napi_value channel_close(napi_env env, napi_callback_info info, uint32_t kind) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], kind);
  if (!ch) return NULL;
  bw_channel_close(ch);
  return undefined(env);
}

static napi_value queue_stats(napi_env env, napi_callback_info info) { return channel_stats(env, info, BW_KIND_QUEUE); }
static napi_value queue_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_QUEUE); }
static napi_value log_stats(napi_env env, napi_callback_info info) { return channel_stats(env, info, BW_KIND_LOG); }
static napi_value log_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_LOG); }
static napi_value fan_stats(napi_env env, napi_callback_info info) { return channel_stats(env, info, BW_KIND_FANOTIFY); }
static napi_value fan_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_FANOTIFY); }

/* logOpen(options, callback) */
static napi_value log_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  struct bw_nflog_options o = {
      .group = (uint16_t)opt_u32(env, argv[0], "group", 0),
      .copy_range = opt_u32(env, argv[0], "copyRange", 128),
      .qthresh = opt_u32(env, argv[0], "kernelBatch", 16),
      .timeout_cs = opt_u32(env, argv[0], "kernelFlushCentiseconds", 5),
      .rcvbuf_bytes = (int)opt_u32(env, argv[0], "receiveBufferBytes", 4 << 20),
  };
  if (o.copy_range > 0xffff) o.copy_range = 0xffff;
  struct bw_channel *ch = new_channel();
  if (!ch) return bw_throw_errno(env, "nflog", ENOMEM);
  int err = bw_channel_init(ch, env, argv[1], "bulwark-nflog", bw_nflog_ops(), opt_u32(env, argv[0], "batchSize", 128),
                            (size_t)1 << 20, 0, 0, (size_t)256 << 10);
  const char *what = "nflog: setup";
  if (err == 0) err = bw_nflog_open(ch, &o, &what);
  return finish_open(env, ch, err, what);
}

static napi_value uevent_stats(napi_env env, napi_callback_info info) { return channel_stats(env, info, BW_KIND_UEVENT); }
static napi_value uevent_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_UEVENT); }

/* ueventOpen(options, callback) */
static napi_value uevent_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  struct bw_channel *ch = new_channel();
  if (!ch) return bw_throw_errno(env, "uevent", ENOMEM);
  /* One message is at most a few KiB (UEVENT_BUFFER_SIZE 2048 plus the header). */
  int err = bw_channel_init(ch, env, argv[1], "bulwark-uevent", bw_uevent_ops(), opt_u32(env, argv[0], "batchSize", 64),
                            (size_t)1 << 20, 0, 0, (size_t)16 << 10);
  const char *what = "uevent: setup";
  if (err == 0) err = bw_uevent_open(ch, (int)opt_u32(env, argv[0], "receiveBufferBytes", 4 << 20), &what);
  return finish_open(env, ch, err, what);
}

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
  if (err == 0) err = bw_fanotify_open(ch, (int)opt_u32(env, argv[0], "defaultAllow", 1), &what);
  if (err == 0) bw_fanotify_allow_children(ch, (int)opt_u32(env, argv[0], "allowOwnChildren", 0));
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
    bw_fanotify_respond(ch, ((double *)tickets)[i], ((uint8_t *)allow)[i], &was_late);
    late += (uint32_t)was_late;
  }
  napi_value r;
  napi_create_uint32(env, late, &r);
  return r;
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

static void set_u32(napi_env env, napi_value o, const char *k, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, o, k, n);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      {"queueOpen", NULL, queue_open, NULL, NULL, NULL, napi_default, NULL},
      {"queueVerdicts", NULL, queue_verdicts, NULL, NULL, NULL, napi_default, NULL},
      {"queueVerdictPayload", NULL, queue_verdict_payload, NULL, NULL, NULL, napi_default, NULL},
      {"queueStats", NULL, queue_stats, NULL, NULL, NULL, napi_default, NULL},
      {"queueClose", NULL, queue_close, NULL, NULL, NULL, napi_default, NULL},
      {"rawSend", NULL, raw_send, NULL, NULL, NULL, napi_default, NULL},
      {"logOpen", NULL, log_open, NULL, NULL, NULL, napi_default, NULL},
      {"logStats", NULL, log_stats, NULL, NULL, NULL, napi_default, NULL},
      {"logClose", NULL, log_close, NULL, NULL, NULL, napi_default, NULL},
      {"fanOpen", NULL, fan_open, NULL, NULL, NULL, napi_default, NULL},
      {"fanMark", NULL, fan_mark, NULL, NULL, NULL, napi_default, NULL},
      {"fanRespond", NULL, fan_respond, NULL, NULL, NULL, napi_default, NULL},
      {"fanRead", NULL, fan_read, NULL, NULL, NULL, napi_default, NULL},
      {"fanStats", NULL, fan_stats, NULL, NULL, NULL, napi_default, NULL},
      {"fanClose", NULL, fan_close, NULL, NULL, NULL, napi_default, NULL},
      {"ueventOpen", NULL, uevent_open, NULL, NULL, NULL, napi_default, NULL},
      {"ueventStats", NULL, uevent_stats, NULL, NULL, NULL, napi_default, NULL},
      {"ueventClose", NULL, uevent_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  napi_value c;
  napi_create_object(env, &c);
  set_u32(env, c, "FAN_ACCESS", FAN_ACCESS);
  set_u32(env, c, "FAN_MODIFY", FAN_MODIFY);
  set_u32(env, c, "FAN_CLOSE_WRITE", FAN_CLOSE_WRITE);
  set_u32(env, c, "FAN_CLOSE_NOWRITE", FAN_CLOSE_NOWRITE);
  set_u32(env, c, "FAN_OPEN", FAN_OPEN);
  set_u32(env, c, "FAN_OPEN_EXEC", FAN_OPEN_EXEC);
  set_u32(env, c, "FAN_OPEN_PERM", FAN_OPEN_PERM);
  set_u32(env, c, "FAN_ACCESS_PERM", FAN_ACCESS_PERM);
  set_u32(env, c, "FAN_OPEN_EXEC_PERM", FAN_OPEN_EXEC_PERM);
  set_u32(env, c, "FAN_ONDIR", FAN_ONDIR);
  set_u32(env, c, "FAN_EVENT_ON_CHILD", FAN_EVENT_ON_CHILD);
  set_u32(env, c, "FAN_MARK_INODE", FAN_MARK_INODE);
  set_u32(env, c, "FAN_MARK_MOUNT", FAN_MARK_MOUNT);
  set_u32(env, c, "FAN_MARK_FILESYSTEM", FAN_MARK_FILESYSTEM);
  set_u32(env, c, "RECORD_SIZE", BW_RECORD_SIZE);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
