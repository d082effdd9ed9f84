#define _GNU_SOURCE
#include "channel.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

int64_t bw_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void bw_channel_unref(struct bw_channel *ch) {
  if (--ch->refs > 0) return;
  free(ch->source);
  free(ch);
}

static void batch_free(struct bw_batch *b) {
  free(b->records);
  free(b->data);
  free(b);
}

static void finalize_records(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* Runs on the JS thread for each batch; env is NULL while the function is being torn down. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  struct bw_batch *b = data;
  if (env == NULL || js_cb == NULL) {
    batch_free(b);
    return;
  }
  napi_value recs, bytes, argv[3], undef;
  size_t rec_len = (size_t)b->count * BW_RECORD_SIZE;
  if (napi_create_external_arraybuffer(env, b->records, rec_len, finalize_records, NULL, &recs) != napi_ok) {
    batch_free(b);
    return;
  }
  b->records = NULL;
  if (b->data_len == 0) {
    napi_create_arraybuffer(env, 0, NULL, &bytes);
  } else if (napi_create_external_arraybuffer(env, b->data, b->data_len, finalize_records, NULL, &bytes) == napi_ok) {
    b->data = NULL;
  } else {
    void *copy;
    napi_create_arraybuffer(env, b->data_len, &copy, &bytes);
    memcpy(copy, b->data, b->data_len);
  }
  argv[0] = recs;
  argv[1] = bytes;
  napi_create_uint32(env, b->count, &argv[2]);
  batch_free(b);
  napi_get_undefined(env, &undef);
  napi_value result;
  if (napi_call_function(env, undef, js_cb, 3, argv, &result) == napi_pending_exception) {
    /* The wrapper catches handler errors; anything reaching here is a wrapper bug: surface it. */
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  bw_channel_unref(data);
}

static int batch_start(struct bw_channel *ch) {
  struct bw_batch *b = &ch->batch;
  b->count = 0;
  b->cap = ch->batch_size;
  b->data_len = 0;
  b->data_cap = ch->data_cap;
  b->records = malloc((size_t)b->cap * BW_RECORD_SIZE);
  b->data = malloc(b->data_cap);
  if (!b->records || !b->data) {
    free(b->records);
    free(b->data);
    b->records = NULL;
    b->data = NULL;
    return -1;
  }
  return 0;
}

void bw_flush(struct bw_channel *ch) {
  struct bw_batch *b = &ch->batch;
  if (b->count == 0 || b->records == NULL) return;
  if (ch->closed) {
    /* Draining at close: nothing goes to JS any more; pending items get their default next. */
    ch->stats.items_lost += b->count;
    b->count = 0;
    b->data_len = 0;
    return;
  }
  struct bw_batch *out = malloc(sizeof *out);
  if (!out) return;
  *out = *b;
  if (out->data_len > 0 && out->data_len < out->data_cap / 2) {
    void *shrunk = realloc(out->data, out->data_len);
    if (shrunk) out->data = shrunk;
  }
  /* Once queued, the batch belongs to the JS thread (which may free it at once): count first. */
  uint32_t count = out->count;
  napi_status st = napi_call_threadsafe_function(ch->tsfn, out, napi_tsfn_nonblocking);
  if (st == napi_ok) {
    ch->stats.delivered += count;
  } else {
    /* JS is behind (queue full) or closing: what was awaiting an answer gets its default at the deadline. */
    ch->stats.batches_lost++;
    ch->stats.items_lost += out->count;
    batch_free(out);
  }
  b->records = NULL;
  b->data = NULL;
  b->count = 0;
  batch_start(ch);
}

struct bw_record *bw_batch_add(struct bw_channel *ch, size_t need_data) {
  struct bw_batch *b = &ch->batch;
  if (b->records == NULL && batch_start(ch) != 0) return NULL;
  if (b->count >= b->cap || b->data_len + need_data > b->data_cap) bw_flush(ch);
  if (b->records == NULL) return NULL;
  if (need_data > b->data_cap) return NULL;
  struct bw_record *r = &b->records[b->count++];
  memset(r, 0, sizeof *r);
  r->uid = r->gid = 0xffffffffu;
  return r;
}

uint32_t bw_batch_put(struct bw_channel *ch, const void *bytes, size_t len) {
  struct bw_batch *b = &ch->batch;
  uint32_t off = (uint32_t)b->data_len;
  if (len > 0) memcpy(b->data + b->data_len, bytes, len);
  b->data_len += len;
  return off;
}

uint64_t bw_pending_add(struct bw_channel *ch, uint32_t key) {
  uint64_t t = ch->next_ticket++;
  struct bw_pending_slot *s = &ch->slots[t & ch->mask];
  if (s->ticket != 0) {
    /* More items outstanding than the table holds: the oldest gets its default now. */
    ch->ops->send_default(ch, s->key);
    ch->stats.overflow_defaulted++;
  }
  s->ticket = t;
  s->key = key;
  s->deadline_ns = bw_now_ns() + ch->deadline_ns;
  return t;
}

int bw_pending_take(struct bw_channel *ch, uint64_t ticket, uint32_t *key) {
  if (ticket == 0 || ch->slots == NULL) return 0;
  struct bw_pending_slot *s = &ch->slots[ticket & ch->mask];
  if (s->ticket != ticket) return 0;
  *key = s->key;
  s->ticket = 0;
  return 1;
}

void bw_pending_expire(struct bw_channel *ch, int64_t now) {
  if (ch->slots == NULL) return;
  if (ch->next_ticket - ch->oldest_ticket > (uint64_t)ch->mask + 1) ch->oldest_ticket = ch->next_ticket - ch->mask - 1;
  while (ch->oldest_ticket < ch->next_ticket) {
    struct bw_pending_slot *s = &ch->slots[ch->oldest_ticket & ch->mask];
    if (s->ticket == ch->oldest_ticket) {
      if (s->deadline_ns > now) break;
      ch->ops->send_default(ch, s->key);
      s->ticket = 0;
      ch->stats.defaulted++;
    }
    ch->oldest_ticket++;
  }
}

void bw_pending_flush_all(struct bw_channel *ch) {
  if (ch->slots == NULL) return;
  for (uint64_t t = ch->oldest_ticket; t < ch->next_ticket; t++) {
    struct bw_pending_slot *s = &ch->slots[t & ch->mask];
    if (s->ticket == t) {
      ch->ops->send_default(ch, s->key);
      s->ticket = 0;
      ch->stats.defaulted++;
    }
  }
  ch->oldest_ticket = ch->next_ticket;
}

int bw_pending_timeout_ms(struct bw_channel *ch, int64_t now) {
  if (ch->slots == NULL) return -1;
  for (uint64_t t = ch->oldest_ticket; t < ch->next_ticket; t++) {
    struct bw_pending_slot *s = &ch->slots[t & ch->mask];
    if (s->ticket != t) {
      ch->oldest_ticket = t + 1;
      continue;
    }
    int64_t left = s->deadline_ns - now;
    if (left <= 0) return 0;
    return (int)((left + 999999) / 1000000);
  }
  return -1;
}

static void *channel_thread(void *arg) {
  struct bw_channel *ch = arg;
  /* Best effort: without CAP_SYS_NICE the thread keeps the process's priority. */
  if (ch->thread_nice != 0 && setpriority(PRIO_PROCESS, (id_t)gettid(), ch->thread_nice) != 0) ch->thread_nice = 0;
  struct pollfd fds[2] = {{.fd = ch->fd, .events = POLLIN}, {.fd = ch->stop_fd, .events = POLLIN}};
  for (;;) {
    pthread_mutex_lock(&ch->lock);
    bw_pending_expire(ch, bw_now_ns());
    int timeout = bw_pending_timeout_ms(ch, bw_now_ns());
    pthread_mutex_unlock(&ch->lock);
    int n = poll(fds, 2, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    if (fds[0].revents & (POLLIN | POLLERR)) {
      ch->ops->on_readable(ch);
      bw_flush(ch);
    }
  }
  return NULL;
}

int bw_channel_init(struct bw_channel *ch, napi_env env, napi_value callback, const char *name,
                    const struct bw_channel_ops *ops, uint32_t batch_size, size_t data_cap,
                    uint32_t max_pending, uint32_t deadline_ms, size_t recv_buf_len) {
  ch->ops = ops;
  ch->refs = 2;
  ch->fd = -1;
  ch->batch_size = batch_size ? batch_size : 64;
  ch->data_cap = data_cap;
  ch->next_ticket = ch->oldest_ticket = 1;
  ch->deadline_ns = (int64_t)deadline_ms * 1000000LL;
  pthread_mutex_init(&ch->lock, NULL);
  if (max_pending > 0) {
    uint32_t cap = 1;
    while (cap < max_pending) cap <<= 1;
    ch->slots = calloc(cap, sizeof *ch->slots);
    if (!ch->slots) return -ENOMEM;
    ch->mask = cap - 1;
  }
  ch->recv_buf_len = recv_buf_len;
  ch->recv_buf = malloc(recv_buf_len);
  if (!ch->recv_buf) return -ENOMEM;
  ch->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ch->stop_fd < 0) return -errno;
  napi_value res_name;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &res_name);
  if (napi_create_threadsafe_function(env, callback, NULL, res_name, 16, 1, ch, tsfn_finalize, ch, call_js,
                                      &ch->tsfn) != napi_ok)
    return -EINVAL;
  return 0;
}

int bw_channel_start(struct bw_channel *ch) {
  if (batch_start(ch) != 0) return -ENOMEM;
  int err = pthread_create(&ch->thread, NULL, channel_thread, ch);
  if (err) return -err;
  ch->thread_started = 1;
  return 0;
}

void bw_channel_close(struct bw_channel *ch) {
  if (ch->closed) return;
  ch->closed = 1;
  if (ch->thread_started) {
    uint64_t one = 1;
    ssize_t w = write(ch->stop_fd, &one, sizeof one);
    (void)w;
    pthread_join(ch->thread, NULL);
  }
  /* What the kernel already queued to us would be dropped when the socket closes: answer it. */
  if (ch->fd >= 0) ch->ops->on_readable(ch);
  pthread_mutex_lock(&ch->lock);
  bw_pending_flush_all(ch);
  pthread_mutex_unlock(&ch->lock);
  if (ch->ops->destroy) ch->ops->destroy(ch);
  if (ch->fd >= 0) close(ch->fd);
  ch->fd = -1;
  if (ch->stop_fd >= 0) close(ch->stop_fd);
  ch->stop_fd = -1;
  free(ch->slots);
  ch->slots = NULL;
  free(ch->batch.records);
  free(ch->batch.data);
  ch->batch.records = NULL;
  ch->batch.data = NULL;
  free(ch->recv_buf);
  ch->recv_buf = NULL;
  if (ch->tsfn) napi_release_threadsafe_function(ch->tsfn, napi_tsfn_abort);
}

/* JS handle: an external whose finalizer closes the channel if the caller forgot to. */
static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct bw_channel *ch = data;
  bw_channel_close(ch);
  bw_channel_unref(ch);
}

napi_value bw_wrap(napi_env env, struct bw_channel *ch) {
  napi_value ext;
  napi_create_external(env, ch, handle_finalize, NULL, &ext);
  return ext;
}

struct bw_channel *bw_unwrap(napi_env env, napi_value v, uint32_t kind) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok ||
      p == NULL || ((struct bw_channel *)p)->kind != kind) {
    napi_throw_type_error(env, NULL, "bulwark-kernel: wrong handle");
    return NULL;
  }
  return p;
}

napi_value bw_throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  const char *code = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, code ? code : "error", strerror(err));
  napi_value m, c, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code ? code : "EUNKNOWN", NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_throw(env, e);
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *k, uint64_t v) {
  napi_value n;
  napi_create_double(env, (double)v, &n);
  napi_set_named_property(env, obj, k, n);
}

napi_value bw_stats_object(napi_env env, struct bw_channel *ch) {
  napi_value o;
  napi_create_object(env, &o);
  pthread_mutex_lock(&ch->lock);
  struct bw_stats s = ch->stats;
  uint64_t outstanding = 0;
  if (ch->slots)
    for (uint64_t t = ch->oldest_ticket; t < ch->next_ticket; t++)
      if (ch->slots[t & ch->mask].ticket == t) outstanding++;
  pthread_mutex_unlock(&ch->lock);
  set_num(env, o, "received", s.received);
  set_num(env, o, "delivered", s.delivered);
  set_num(env, o, "answered", s.answered);
  set_num(env, o, "lateAnswers", s.late_answers);
  set_num(env, o, "defaulted", s.defaulted);
  set_num(env, o, "overflowDefaulted", s.overflow_defaulted);
  set_num(env, o, "batchesLost", s.batches_lost);
  set_num(env, o, "itemsLost", s.items_lost);
  set_num(env, o, "receiveErrors", s.recv_errors);
  set_num(env, o, "answeredNatively", s.answered_natively);
  set_num(env, o, "pending", outstanding);
  return o;
}
