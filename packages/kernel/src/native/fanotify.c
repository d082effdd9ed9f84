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
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Doubles in a fanotify record's payload: dev, ino, size, mtime s, ns, ctime s, ns, mode, uid. */
#define BW_FILE_IDENTITY_FIELDS 9

#define PERM_EVENTS (FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM)

struct fan_source {
  uint32_t default_response;
  pid_t self;
  int allow_children;
  /* Verdicts answered here without JS (see verdict-cache.h); off unless the caller sized it. */
  struct bw_verdict_cache cache;
  /* With runners set, an open (not an exec) by a process whose executable's name matches none
   * of them is allowed here: only programs that run other files need their opens judged. */
  pthread_mutex_t runners_lock;
  regex_t *runners;
  uint32_t runner_count;
  int runners_set;
  uint64_t opens_passed, cache_allowed, cache_denied;
  /* Inode ignore marks placed for files answered "allow until modified"; at most max_ignore_marks
   * (0 = never placed), then all are flushed and placing starts over. Touched under ch->lock. */
  uint32_t ignore_marks, max_ignore_marks;
  uint64_t ignore_flushes;
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

/* Whether the program pid runs matches one of the runner patterns (by its executable's file name). */
static int runs_other_files(struct fan_source *s, pid_t pid) {
  char link[64], exe[PATH_MAX];
  snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(link, exe, sizeof exe - 1);
  /* Gone or unreadable: JS could not tell either, and answers allow for it. */
  if (n <= 0) return 0;
  exe[n] = 0;
  static const char deleted[] = " (deleted)";
  size_t dl = sizeof deleted - 1;
  if ((size_t)n > dl && strcmp(exe + n - dl, deleted) == 0) exe[n - dl] = 0;
  const char *name = strrchr(exe, '/');
  name = name ? name + 1 : exe;
  int match = 0;
  pthread_mutex_lock(&s->runners_lock);
  for (uint32_t i = 0; i < s->runner_count && !match; i++) match = regexec(&s->runners[i], name, 0, NULL, 0) == 0;
  pthread_mutex_unlock(&s->runners_lock);
  return match;
}

static int own_child(struct fan_source *s, pid_t pid) { return s->allow_children && parent_of(pid) == s->self; }

/* An event answered here; with notify, JS still hears of it (ticket 0, mark 1 allowed / 2 denied). */
static void answer_here(struct bw_channel *ch, const struct fanotify_event_metadata *ev, uint32_t response, int notify,
                        double seen_ms, const char *path, size_t plen, const void *ident, size_t ident_len) {
  respond(ch->fd, ev->fd, response);
  close(ev->fd);
  if (!notify) return;
  struct bw_record *r = bw_batch_add(ch, plen + ident_len);
  if (r == NULL) return;
  r->kind = (uint32_t)ev->mask;
  r->indev = (uint32_t)ev->pid;
  r->mark = response == FAN_ALLOW ? 1 : 2;
  r->time_ms = seen_ms;
  r->text_len = (uint32_t)plen;
  r->text_off = bw_batch_put(ch, path, plen);
  r->data_len = (uint32_t)ident_len;
  r->data_off = bw_batch_put(ch, ident, ident_len);
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
  int exec = (ev->mask & FAN_OPEN_EXEC_PERM) != 0;
  if (ev->pid == s->self) {
    if (perm) respond(ch->fd, ev->fd, FAN_ALLOW);
    close(ev->fd);
    return;
  }
  /* Taken before the fstat: a caller tells from it whether the file's times are old enough to
   * show a later write (see cacheVerdict in file-access.ts). */
  struct timespec seen;
  clock_gettime(CLOCK_REALTIME, &seen);
  double seen_ms = (double)seen.tv_sec * 1e3 + (double)(seen.tv_nsec / 1000000);
  struct stat st;
  int have_stat = fstat(ev->fd, &st) == 0;
  /* An open that is not an exec, by a program that runs no other files (or of something that is
   * not a regular file): nothing to judge. Answered here: the common case of every open on a mount. */
  if (perm && !exec && s->runners_set &&
      ((have_stat && !S_ISREG(st.st_mode)) || !runs_other_files(s, ev->pid))) {
    respond(ch->fd, ev->fd, FAN_ALLOW);
    close(ev->fd);
    __atomic_fetch_add(&s->opens_passed, 1, __ATOMIC_RELAXED);
    return;
  }
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", ev->fd);
  ssize_t plen = readlink(link, path, sizeof path);
  if (plen < 0) plen = 0;
  /* The file's identity as the event's descriptor sees it (no path race), as the payload: a
   * verdict cache keys on it and a replaced file gets a new key. Decoded by fileIdentityOf in file-access.ts. */
  double ident[BW_FILE_IDENTITY_FIELDS];
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
  uint32_t flags;
  struct bw_file_stamp stamp;
  if (perm && have_stat && plen > 0) bw_stamp_of(&st, &stamp);
  /* A known file: answered here. A cached deny holds for executions only (an interpreter may
   * read a file it was not asked to run), and never for our own children. */
  if (perm && have_stat && plen > 0 && bw_verdict_cache_get(&s->cache, &stamp, path, (size_t)plen, &flags)) {
    int allow = (flags & BW_VERDICT_ALLOW) != 0;
    if (allow || (exec && !own_child(s, ev->pid))) {
      __atomic_fetch_add(allow ? &s->cache_allowed : &s->cache_denied, 1, __ATOMIC_RELAXED);
      answer_here(ch, ev, allow ? FAN_ALLOW : FAN_DENY, (flags & BW_VERDICT_NOTIFY) != 0, seen_ms, path, (size_t)plen, ident,
                  ident_len);
      return;
    }
  }
  /* Our own children too, when asked: Node's spawn blocks the event loop until the child has
   * exec'd, so JS could never answer for them and each would wait out the deadline. */
  if (perm && own_child(s, ev->pid)) {
    respond(ch->fd, ev->fd, FAN_ALLOW);
    close(ev->fd);
    return;
  }
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
  r->time_ms = seen_ms;
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

static void fan_destroy(struct bw_channel *ch) {
  struct fan_source *s = ch->source;
  if (s == NULL) return;
  bw_verdict_cache_free(&s->cache);
  bw_fanotify_set_runners(ch, NULL, 0, NULL);
  pthread_mutex_destroy(&s->runners_lock);
}

static const struct bw_channel_ops fan_ops = {
    .on_readable = fan_on_readable, .send_default = fan_send_default, .destroy = fan_destroy};
const struct bw_channel_ops *bw_fanotify_ops(void) { return &fan_ops; }

int bw_fanotify_open(struct bw_channel *ch, int default_allow, uint32_t cache_capacity, const char **what) {
  struct fan_source *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  ch->source = s;
  pthread_mutex_init(&s->runners_lock, NULL);
  if (bw_verdict_cache_init(&s->cache, cache_capacity) < 0) {
    *what = "fanotify: verdict cache";
    return -ENOMEM;
  }
  ch->kind = BW_KIND_FANOTIFY;
  s->default_response = default_allow ? FAN_ALLOW : FAN_DENY;
  s->self = getpid();
  /* Every held open and exec on the marked mounts waits for this thread. */
  ch->thread_nice = -10;
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

/* Drops every inode mark of the group: only ignore marks are inode marks for a caller that uses them. */
static void flush_ignore_marks(struct bw_channel *ch) {
  struct fan_source *s = ch->source;
  if (s->ignore_marks == 0) return;
  if (fanotify_mark(ch->fd, FAN_MARK_FLUSH, 0, AT_FDCWD, "/") == 0) {
    s->ignore_marks = 0;
    s->ignore_flushes++;
  }
}

/* The kernel stops sending permission events for this inode until it is modified (the ignore
 * mask does not survive a write: FAN_MARK_IGNORED_SURV_MODIFY is not set). Called with ch->lock held. */
static void ignore_until_modified(struct bw_channel *ch, int fd) {
  struct fan_source *s = ch->source;
  if (s->max_ignore_marks == 0) return;
  if (s->ignore_marks >= s->max_ignore_marks) flush_ignore_marks(ch);
  if (fanotify_mark(ch->fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, PERM_EVENTS, fd, NULL) == 0) s->ignore_marks++;
}

int bw_fanotify_respond(struct bw_channel *ch, double ticket, int allow, int *was_late) {
  uint32_t fd;
  pthread_mutex_lock(&ch->lock);
  int live = bw_pending_take(ch, bw_ticket_of(ticket), &fd);
  if (live) {
    ch->stats.answered++;
    if (allow == BW_ALLOW_UNTIL_MODIFIED) ignore_until_modified(ch, (int)fd);
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

int bw_fanotify_set_runners(struct bw_channel *ch, const char *const *patterns, uint32_t count, const char **bad) {
  struct fan_source *s = ch->source;
  regex_t *compiled = NULL;
  if (patterns != NULL) {
    compiled = calloc(count ? count : 1, sizeof *compiled);
    if (!compiled) return -ENOMEM;
    for (uint32_t i = 0; i < count; i++)
      if (regcomp(&compiled[i], patterns[i], REG_EXTENDED | REG_NOSUB) != 0) {
        for (uint32_t j = 0; j < i; j++) regfree(&compiled[j]);
        free(compiled);
        if (bad) *bad = patterns[i];
        return -EINVAL;
      }
  }
  pthread_mutex_lock(&s->runners_lock);
  regex_t *old = s->runners;
  uint32_t old_count = s->runner_count;
  s->runners = compiled;
  s->runner_count = patterns != NULL ? count : 0;
  s->runners_set = patterns != NULL;
  pthread_mutex_unlock(&s->runners_lock);
  for (uint32_t j = 0; j < old_count; j++) regfree(&old[j]);
  free(old);
  return 0;
}

int bw_fanotify_cache_put(struct bw_channel *ch, const struct bw_file_stamp *stamp, const char *path, size_t len,
                          uint32_t flags) {
  struct fan_source *s = ch->source;
  return bw_verdict_cache_put(&s->cache, stamp, path, len, flags);
}

void bw_fanotify_cache_clear(struct bw_channel *ch) {
  struct fan_source *s = ch->source;
  bw_verdict_cache_clear(&s->cache);
  pthread_mutex_lock(&ch->lock);
  flush_ignore_marks(ch);
  pthread_mutex_unlock(&ch->lock);
}

void bw_fanotify_set_max_ignore_marks(struct bw_channel *ch, uint32_t max) {
  struct fan_source *s = ch->source;
  if (s != NULL) s->max_ignore_marks = max;
}

void bw_fanotify_fast_stats(struct bw_channel *ch, struct bw_fanotify_fast_stats *out) {
  struct fan_source *s = ch->source;
  out->cache = bw_verdict_cache_stats(&s->cache);
  /* Written by the channel thread only; a read may be one event behind. */
  out->opens_passed = __atomic_load_n(&s->opens_passed, __ATOMIC_RELAXED);
  out->cache_allowed = __atomic_load_n(&s->cache_allowed, __ATOMIC_RELAXED);
  out->cache_denied = __atomic_load_n(&s->cache_denied, __ATOMIC_RELAXED);
  pthread_mutex_lock(&ch->lock);
  out->ignore_marks = s->ignore_marks;
  out->ignore_flushes = s->ignore_flushes;
  pthread_mutex_unlock(&ch->lock);
}
