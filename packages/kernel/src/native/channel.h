/*
 * A channel is one kernel source (an NFQUEUE queue, an NFLOG group or a fanotify group) read by
 * its own native thread. The thread batches what it reads and hands each batch to JS through a
 * thread-safe function; for sources that wait on a verdict it also keeps the pending table and
 * issues the default verdict itself when a deadline passes, so a blocked JS event loop can never
 * hold traffic or file access.
 */
#ifndef BW_CHANNEL_H
#define BW_CHANNEL_H

#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>

/* One record per delivered item, read in JS with a DataView (see src/batch-decoder.ts). */
#define BW_RECORD_SIZE 64
struct bw_record {
  double ticket;      /* 0: id used to answer (nfqueue/fanotify); 0 when nothing is awaited */
  uint32_t kind;      /* 8: nfqueue: hook | skb info << 8; nflog: hook; fanotify: event mask */
  uint32_t mark;      /* 12 */
  uint32_t indev;     /* 16: fanotify: pid */
  uint32_t outdev;    /* 20 */
  uint32_t hwproto;   /* 24 */
  uint32_t orig_len;  /* 28: packet length before truncation to the copy range */
  uint32_t data_off;  /* 32: payload offset in the data buffer */
  uint32_t data_len;  /* 36 */
  uint32_t text_off;  /* 40: nflog prefix / fanotify path, in the data buffer */
  uint32_t text_len;  /* 44 */
  double time_ms;     /* 48: kernel timestamp in ms since epoch, 0 when absent */
  uint32_t uid;       /* 56: 0xffffffff when absent */
  uint32_t gid;       /* 60 */
};

struct bw_batch {
  struct bw_record *records;
  uint32_t count, cap;
  uint8_t *data;
  size_t data_len, data_cap;
};

struct bw_pending_slot {
  uint64_t ticket;   /* 0 = free */
  uint32_t key;      /* nfqueue packet id or fanotify event fd */
  int64_t deadline_ns;
};

struct bw_stats {
  uint64_t received, delivered, answered, late_answers, defaulted, overflow_defaulted,
      batches_lost, items_lost, recv_errors;
  /* Items the source answered itself without JS (NFQUEUE: bare TCP ACKs, when asked to). */
  uint64_t answered_natively;
};

struct bw_channel;
struct bw_channel_ops {
  /* Called by the thread when the fd is readable; appends to ch->batch, calls bw_flush when full. */
  void (*on_readable)(struct bw_channel *ch);
  /* Sends the default verdict for a pending key (called with ch->lock held). */
  void (*send_default)(struct bw_channel *ch, uint32_t key);
  /* Releases per-source resources after the thread has stopped. */
  void (*destroy)(struct bw_channel *ch);
};

struct bw_channel {
  uint32_t kind;
  int refs; /* the JS handle and the thread-safe function each hold one */
  int fd;
  int stop_fd;
  pthread_t thread;
  int thread_started;
  int closed;
  napi_threadsafe_function tsfn;
  pthread_mutex_t lock;
  const struct bw_channel_ops *ops;
  struct bw_batch batch;
  uint32_t batch_size;
  size_t data_cap;
  /* pending table: slot = ticket & mask */
  struct bw_pending_slot *slots;
  uint32_t mask;
  uint64_t next_ticket, oldest_ticket;
  int64_t deadline_ns;
  struct bw_stats stats;
  void *source; /* per-source state */
  /* Nice value for the channel thread (0 = as the process): a source that holds processes asks
   * for its thread to be scheduled ahead of ordinary work, so a loaded host does not hold them longer. */
  int thread_nice;
  uint8_t *recv_buf;
  size_t recv_buf_len;
};

int64_t bw_now_ns(void);

/* Sets up the common parts; max_pending 0 = source never waits on answers. */
int bw_channel_init(struct bw_channel *ch, napi_env env, napi_value callback, const char *name,
                    const struct bw_channel_ops *ops, uint32_t batch_size, size_t data_cap,
                    uint32_t max_pending, uint32_t deadline_ms, size_t recv_buf_len);
int bw_channel_start(struct bw_channel *ch);
/* Stops the thread, defaults every pending item, frees everything but the struct itself. */
void bw_channel_close(struct bw_channel *ch);

/* Thread side: reserve a record (NULL if the batch had to be flushed and could not restart). */
struct bw_record *bw_batch_add(struct bw_channel *ch, size_t need_data);
uint32_t bw_batch_put(struct bw_channel *ch, const void *bytes, size_t len);
void bw_flush(struct bw_channel *ch);

/* A ticket as JS passes it back: anything but a positive integer below 2^53 matches nothing. */
static inline uint64_t bw_ticket_of(double t) { return (t >= 1 && t < 9007199254740992.0) ? (uint64_t)t : 0; }

/* Pending table (caller holds ch->lock). Returns the new ticket. */
uint64_t bw_pending_add(struct bw_channel *ch, uint32_t key);
/* Removes a ticket; returns 1 and sets *key when it was still pending. */
int bw_pending_take(struct bw_channel *ch, uint64_t ticket, uint32_t *key);
void bw_pending_expire(struct bw_channel *ch, int64_t now);
void bw_pending_flush_all(struct bw_channel *ch);
int bw_pending_timeout_ms(struct bw_channel *ch, int64_t now);

/* N-API helpers */
napi_value bw_throw_errno(napi_env env, const char *what, int err);
napi_value bw_stats_object(napi_env env, struct bw_channel *ch);
struct bw_channel *bw_unwrap(napi_env env, napi_value v, uint32_t kind);
napi_value bw_wrap(napi_env env, struct bw_channel *ch);

#define BW_KIND_QUEUE 1
#define BW_KIND_LOG 2
#define BW_KIND_FANOTIFY 3
#define BW_KIND_UEVENT 4

#endif
