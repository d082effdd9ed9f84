/* N-API surface of the addon; the TypeScript wrapper in src/ is the only caller. */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>

#include "channel.h"
#include "fanotify.h"
#include "napi-helpers.h"
#include "nflog.h"
#include "nfqueue.h"
#include "uevent.h"
#include "rawsend.h"

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

/*
 * queueVerdicts(handle, Float64Array tickets, Uint8Array accept, Uint32Array|undefined marks,
 *               Uint8Array|undefined late) -> late count. `late`, when given, gets 1 for each entry
 * whose packet had got the default verdict already (the caller's answer changed nothing), 0 otherwise.
 */
static napi_value queue_verdicts(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return get_args(env, info, 3, argv);
  struct bw_channel *ch = bw_unwrap(env, argv[0], BW_KIND_QUEUE);
  if (!ch) return NULL;
  void *tickets, *verdicts, *marks = NULL, *late_flags = NULL;
  size_t n, n2, n3 = 0, n4 = 0;
  napi_valuetype late_type = napi_undefined;
  if (argc > 4) NAPI_CALL(env, napi_typeof(env, argv[4], &late_type));
  if (!typed(env, argv[1], napi_float64_array, &tickets, &n) || !typed(env, argv[2], napi_uint8_array, &verdicts, &n2) ||
      n2 < n || (argc > 3 && typed(env, argv[3], napi_uint32_array, &marks, &n3) && n3 < n) ||
      (late_type != napi_undefined && (!typed(env, argv[4], napi_uint8_array, &late_flags, &n4) || n4 < n))) {
    napi_throw_type_error(env, NULL,
                          "bulwark-kernel: queueVerdicts(handle, Float64Array, Uint8Array, Uint32Array?, Uint8Array?)");
    return NULL;
  }
  if (ch->closed) return bw_throw_errno(env, "nfqueue: closed", EBADF);
  uint32_t late = 0;
  int err = bw_nfqueue_verdicts(ch, tickets, verdicts, marks, n, &late, late_flags);
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

static napi_value queue_stats(napi_env env, napi_callback_info info) { return channel_stats(env, info, BW_KIND_QUEUE); }
static napi_value queue_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_QUEUE); }
static napi_value log_stats(napi_env env, napi_callback_info info) { return channel_stats(env, info, BW_KIND_LOG); }
static napi_value log_close(napi_env env, napi_callback_info info) { return channel_close(env, info, BW_KIND_LOG); }
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
      {"ueventOpen", NULL, uevent_open, NULL, NULL, NULL, napi_default, NULL},
      {"ueventStats", NULL, uevent_stats, NULL, NULL, NULL, napi_default, NULL},
      {"ueventClose", NULL, uevent_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  bw_define_fanotify(env, exports);
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
  set_u32(env, c, "VERDICT_ALLOW", BW_VERDICT_ALLOW);
  set_u32(env, c, "VERDICT_NOTIFY", BW_VERDICT_NOTIFY);
  set_u32(env, c, "ALLOW_UNTIL_MODIFIED", BW_ALLOW_UNTIL_MODIFIED);
  napi_set_named_property(env, exports, "constants", c);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
