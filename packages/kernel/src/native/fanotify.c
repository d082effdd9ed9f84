/*
 * fanotify permission (open, exec) and notification events. A permission event holds the opening
 * process until it gets an answer, so each one enters the pending table and the channel thread
 * answers with the default if JS has not in time. Events caused by this process itself are allowed
 * at once and never delivered: scanning a file must not wait on ourselves.
 */
#define _GNU_SOURCE
#include "fanotify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* Doubles in a fanotify record's payload: dev, ino, size, mtime s, ns, ctime s, ns, mode, uid. */
#define BW_FILE_IDENTITY_FIELDS 9

#define PERM_EVENTS (FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM)

struct fan_source {
  uint32_t default_response;
  pid_t self;
  int allow_children;
};

/* The parent of pid from /proc/PID/stat (field 4, after the command name in parentheses); -1 if unknown. */
static pid_t parent_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *end = strrchr(buf, ')');
  int ppid;
  char state;
  if (end == NULL || sscanf(end + 1, " %c %d", &state, &ppid) != 2) return -1;
  return (pid_t)ppid;
}

static void respond(int fanfd, int fd, uint32_t response) {
  struct fanotify_response r = {.fd = fd, .response = response};
  ssize_t w = write(fanfd, &r, sizeof r);
  (void)w;
}

static void fan_send_default(struct bw_channel *ch, uint32_t fd) {
  struct fan_source *s = ch->source;
  respond(ch->fd, (int)fd, s->default_response);
  close((int)fd);
}

static void fan_handle(struct bw_channel *ch, const struct fanotify_event_metadata *ev) {
  struct fan_source *s = ch->source;
  if (ev->mask & FAN_Q_OVERFLOW) {
    ch->stats.items_lost++;
    return;
  }
  if (ev->fd < 0) return;
  ch->stats.received++;
  int perm = (ev->mask & PERM_EVENTS) != 0;
  /* Our own children too, when asked: Node's spawn blocks the event loop until the child has
   * exec'd, so JS could never answer for them and each would wait out the deadline. */
  if (ev->pid == s->self || (perm && s->allow_children && parent_of(ev->pid) == s->self)) {
    if (perm) respond(ch->fd, ev->fd, FAN_ALLOW);
    close(ev->fd);
    return;
  }
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", ev->fd);
  ssize_t plen = readlink(link, path, sizeof path);
  if (plen < 0) plen = 0;
  /* The file's identity as the event's descriptor sees it (no path race), as the payload: a
   * verdict cache keys on it and a replaced file gets a new key. Decoded by fileIdentityOf in file-access.ts. */
  double ident[BW_FILE_IDENTITY_FIELDS];
  struct stat st;
  int have_stat = fstat(ev->fd, &st) == 0;
  if (have_stat) {
    ident[0] = (double)st.st_dev;
    ident[1] = (double)st.st_ino;
    ident[2] = (double)st.st_size;
    ident[3] = (double)st.st_mtim.tv_sec;
    ident[4] = (double)st.st_mtim.tv_nsec;
    ident[5] = (double)st.st_ctim.tv_sec;
    ident[6] = (double)st.st_ctim.tv_nsec;
    ident[7] = (double)st.st_mode;
    ident[8] = (double)st.st_uid;
  }
  size_t ident_len = have_stat ? sizeof ident : 0;
  struct bw_record *r = bw_batch_add(ch, (size_t)plen + ident_len);
  if (r == NULL) {
    if (perm) {
      respond(ch->fd, ev->fd, s->default_response);
      ch->stats.defaulted++;
    }
    close(ev->fd);
    return;
  }
  r->kind = (uint32_t)ev->mask;
  r->indev = (uint32_t)ev->pid;
  r->text_len = (uint32_t)plen;
  r->text_off = bw_batch_put(ch, path, (size_t)plen);
  r->data_len = (uint32_t)ident_len;
  r->data_off = bw_batch_put(ch, ident, ident_len);
  if (perm) {
    pthread_mutex_lock(&ch->lock);
    r->ticket = (double)bw_pending_add(ch, (uint32_t)ev->fd);
    pthread_mutex_unlock(&ch->lock);
  } else {
    close(ev->fd);
  }
}

static void fan_on_readable(struct bw_channel *ch) {
  for (int rounds = 0; rounds < 64; rounds++) {
    ssize_t n = read(ch->fd, ch->recv_buf, ch->recv_buf_len);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR) ch->stats.recv_errors++;
      return;
    }
    const struct fanotify_event_metadata *ev = (const struct fanotify_event_metadata *)ch->recv_buf;
    for (; FAN_EVENT_OK(ev, n); ev = FAN_EVENT_NEXT(ev, n)) {
      if (ev->vers != FANOTIFY_METADATA_VERSION) continue;
      fan_handle(ch, ev);
    }
  }
}

static const struct bw_channel_ops fan_ops = {.on_readable = fan_on_readable, .send_default = fan_send_default};
const struct bw_channel_ops *bw_fanotify_ops(void) { return &fan_ops; }

int bw_fanotify_open(struct bw_channel *ch, int default_allow, const char **what) {
  struct fan_source *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  ch->source = s;
  ch->kind = BW_KIND_FANOTIFY;
  s->default_response = default_allow ? FAN_ALLOW : FAN_DENY;
  s->self = getpid();
  int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fd < 0) {
    *what = errno == EPERM ? "fanotify: needs CAP_SYS_ADMIN" : "fanotify: init";
    return -errno;
  }
  ch->fd = fd;
  return 0;
}

void bw_fanotify_allow_children(struct bw_channel *ch, int on) {
  struct fan_source *s = ch->source;
  if (s != NULL) s->allow_children = on;
}

int bw_fanotify_mark(struct bw_channel *ch, int remove, unsigned int scope_flags, uint64_t mask, const char *path) {
  unsigned int flags = (remove ? FAN_MARK_REMOVE : FAN_MARK_ADD) | scope_flags;
  return fanotify_mark(ch->fd, flags, mask, AT_FDCWD, path) < 0 ? -errno : 0;
}

int bw_fanotify_respond(struct bw_channel *ch, double ticket, int allow, int *was_late) {
  uint32_t fd;
  pthread_mutex_lock(&ch->lock);
  int live = bw_pending_take(ch, bw_ticket_of(ticket), &fd);
  if (live) {
    ch->stats.answered++;
    respond(ch->fd, (int)fd, allow ? FAN_ALLOW : FAN_DENY);
    close((int)fd);
  } else {
    ch->stats.late_answers++;
  }
  pthread_mutex_unlock(&ch->lock);
  *was_late = !live;
  return 0;
}

ssize_t bw_fanotify_read(struct bw_channel *ch, double ticket, uint64_t offset, void *buf, size_t len) {
  uint64_t t = bw_ticket_of(ticket);
  int dupfd = -1;
  pthread_mutex_lock(&ch->lock);
  if (ch->slots && t != 0) {
    struct bw_pending_slot *s = &ch->slots[t & ch->mask];
    /* Our own descriptor: the thread may answer and close the original meanwhile. */
    if (s->ticket == t) dupfd = fcntl((int)s->key, F_DUPFD_CLOEXEC, 0);
  }
  pthread_mutex_unlock(&ch->lock);
  if (dupfd < 0) return -ESRCH;
  ssize_t n = pread(dupfd, buf, len, (off_t)offset);
  int e = errno;
  close(dupfd);
  return n < 0 ? -e : n;
}
