/* Helpers shared by the N-API files of the addon (addon.c, addon-fanotify.c). */
#ifndef BW_NAPI_HELPERS_H
#define BW_NAPI_HELPERS_H
#include <node_api.h>
#include <stdlib.h>

#include "channel.h"

#define NAPI_CALL(env, call)                                         \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "bulwark-kernel: bad arguments"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static inline uint32_t opt_u32(napi_env env, napi_value obj, const char *name, uint32_t dflt) {
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

static inline napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static inline struct bw_channel *new_channel(void) { return calloc(1, sizeof(struct bw_channel)); }

/* Common tail of every open: on failure the channel is torn down and an errno error thrown. */
static inline napi_value finish_open(napi_env env, struct bw_channel *ch, int err, const char *what) {
  if (err == 0) err = bw_channel_start(ch), what = "start reader thread";
  if (err < 0) {
    bw_channel_close(ch);
    ch->refs--; /* the JS handle never existed; the thread-safe function finalizer frees the rest */
    if (ch->tsfn == NULL) free(ch->source), free(ch);
    return bw_throw_errno(env, what, -err);
  }
  return bw_wrap(env, ch);
}

static inline napi_value get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: missing arguments");
    return NULL;
  }
  return argv[0];
}

static inline napi_value typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok || t != want) return NULL;
  return v;
}

static inline napi_value channel_stats(napi_env env, napi_callback_info info, uint32_t kind) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], kind);
  return ch ? bw_stats_object(env, ch) : NULL;
}

static inline napi_value channel_close(napi_env env, napi_callback_info info, uint32_t kind) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  struct bw_channel *ch = bw_unwrap(env, argv[0], kind);
  if (!ch) return NULL;
  bw_channel_close(ch);
  return undefined(env);
}

static inline void set_u32(napi_env env, napi_value o, const char *k, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, o, k, n);
}

/* Defines fanOpen, fanMark, fanRespond… on exports (addon-fanotify.c). */
void bw_define_fanotify(napi_env env, napi_value exports);
#endif
