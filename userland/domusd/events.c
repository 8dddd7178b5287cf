// SPDX-License-Identifier: MIT
/*
 * domusd: domain lifecycle events (`virsh event --all --loop`, python's
 * domainEventRegisterAny).  A client registers with
 * CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY (316: an event id, an
 * optional domain; a unique callback id back) and leaves with
 * DEREGISTER_ANY (317).  Only the lifecycle event (id 0) is produced;
 * other ids get VIR_ERR_NO_SUPPORT, which virsh tolerates once the
 * first registration worked.
 *
 * Where the events come from: domains change through domusd, through
 * `domus` and by themselves (a guest powering off), so the session of a
 * client with registrations compares the domain list (running, then
 * defined) every RPC_EVENT_PERIOD_MS with the one before and sends
 * DOMAIN_EVENT_CALLBACK_LIFECYCLE (318) MESSAGE packets, serial 0, for
 * what changed: defined (0: added, or updated when the definition file
 * was replaced), undefined (1: removed), started (2: booted; restored
 * when the launcher's info says started=restored or domusd restored that
 * run -- rpc_events_note_restore --; migrated for started=migrated; one
 * started paused is also suspended: paused), suspended (3: paused),
 * resumed (4: unpaused),
 * stopped (5: destroyed when domusd destroyed that run of the
 * domain -- rpc_events_note_stop --, crashed when it was last seen
 * crashed (xl's 'c'), else shutdown).  A change and its undoing within one period
 * are not seen.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "procs.h"

/* virDomainEventType */
enum { EV_DEFINED = 0, EV_UNDEFINED = 1, EV_STARTED = 2, EV_SUSPENDED = 3, EV_RESUMED = 4, EV_STOPPED = 5 };
/* the details used (virDomainEvent*DetailType) */
enum { DEFINED_ADDED = 0, DEFINED_UPDATED = 1, STARTED_BOOTED = 0, STARTED_MIGRATED = 1, STARTED_RESTORED = 2,
       SUSPENDED_PAUSED = 0,
       RESUMED_UNPAUSED = 0,
       STOPPED_SHUTDOWN = 0, STOPPED_CRASHED = 2, UNDEFINED_REMOVED = 0 };
/* virDomainState (as procs_dom.c) */
enum { ST_PAUSED = 3, ST_CRASHED = 6 };

struct rpc_ev_dom {
	struct domus_dominfo d;
	int state;
	bool persistent;
	dev_t dev;		/* the definition file (persistent): a new one is an update */
	ino_t ino;
};

/*
 * How a run of a domain was stopped by domusd (destroy), for the detail
 * of its stop event in every session: a run is its name, id and start
 * time; a note older than NOTE_MS is forgotten.
 */
#define NOTES		16
#define NOTE_MS		60000
static struct {
	char name[64];
	unsigned int id;
	long long start, at;
	int detail;
} notes[NOTES];
static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void rpc_events_note_stop(const struct domus_dominfo *d, int detail)
{
	int i, pick = 0;

	pthread_mutex_lock(&notes_lock);
	for (i = 0; i < NOTES; i++) {
		if (!strcmp(notes[i].name, d->name)) {
			pick = i;
			break;
		}
		if (notes[i].at < notes[pick].at)
			pick = i;
	}
	if (detail < 0) {
		if (!strcmp(notes[pick].name, d->name))
			memset(&notes[pick], 0, sizeof(notes[pick]));
	} else {
		snprintf(notes[pick].name, sizeof(notes[pick].name), "%s", d->name);
		notes[pick].id = d->id;
		notes[pick].start = d->start;
		notes[pick].at = now_ms();
		notes[pick].detail = detail;
	}
	pthread_mutex_unlock(&notes_lock);
}

/*
 * The runs domusd restored (a restore, a start from a managed save): their
 * start event is "restored".  While the restore runs the run is not known
 * yet: a note names the domain and the time (epoch seconds) the restore
 * began, and a run of that name started since then matches; once it is
 * done the note is pinned to the run (its id and start).
 */
static struct {
	char name[64];
	unsigned int id;	/* DOMUSD_INACTIVE while pending */
	long long since, start, at;
} starts[NOTES];

void rpc_events_note_restore(const char *name, const struct domus_dominfo *run, int how)
{
	int i, pick = 0;

	pthread_mutex_lock(&notes_lock);
	for (i = 0; i < NOTES; i++) {
		if (!strcmp(starts[i].name, name)) {
			pick = i;
			break;
		}
		if (starts[i].at < starts[pick].at)
			pick = i;
	}
	if (how < 0) {
		if (!strcmp(starts[pick].name, name))
			memset(&starts[pick], 0, sizeof(starts[pick]));
	} else if (how == 0) {
		snprintf(starts[pick].name, sizeof(starts[pick].name), "%s", name);
		starts[pick].id = DOMUSD_INACTIVE;
		starts[pick].since = (long long)time(NULL) - 1;	/* a start rounded down */
		starts[pick].start = 0;
		starts[pick].at = now_ms();
	} else if (run && !strcmp(starts[pick].name, name)) {
		starts[pick].id = run->id;
		starts[pick].start = run->start;
		starts[pick].at = now_ms();
	}
	pthread_mutex_unlock(&notes_lock);
}

static int start_detail(const struct rpc_ev_dom *is)
{
	int i, detail = STARTED_BOOTED;
	long long now = now_ms();

	/* the launcher says how it started (`domus restore`, migrate-receive) */
	if (is->d.started == DOMUS_STARTED_RESTORED)
		return STARTED_RESTORED;
	if (is->d.started == DOMUS_STARTED_MIGRATED)
		return STARTED_MIGRATED;
	pthread_mutex_lock(&notes_lock);
	for (i = 0; i < NOTES; i++) {
		if (!starts[i].at || now - starts[i].at >= NOTE_MS || strcmp(starts[i].name, is->d.name))
			continue;
		if (starts[i].id == DOMUSD_INACTIVE ? !is->d.start || is->d.start >= starts[i].since
						    : starts[i].id == is->d.id && starts[i].start == is->d.start)
			detail = STARTED_RESTORED;
		break;
	}
	pthread_mutex_unlock(&notes_lock);
	return detail;
}

static int stop_detail(const struct rpc_ev_dom *was)
{
	int i, detail = was->state == ST_CRASHED || strchr(was->d.state, 'c') ? STOPPED_CRASHED : STOPPED_SHUTDOWN;
	long long now = now_ms();

	pthread_mutex_lock(&notes_lock);
	for (i = 0; i < NOTES; i++)
		if (notes[i].at && now - notes[i].at < NOTE_MS && !strcmp(notes[i].name, was->d.name) &&
		    notes[i].id == was->d.id && notes[i].start == was->d.start) {
			detail = notes[i].detail;
			break;
		}
	pthread_mutex_unlock(&notes_lock);
	return detail;
}

/* The domains now (malloc'ed in *@out): count, or -1. */
static int snapshot(const struct domusd_backend *be, struct rpc_ev_dom **out)
{
	struct domus_dominfo *v;
	struct rpc_ev_dom *e;
	int n = domusd_domains(be, &v), i, reason;

	*out = NULL;
	if (n < 0)
		return -1;
	e = calloc(n ? (size_t)n : 1, sizeof(*e));
	if (!e) {
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++) {
		e[i].d = v[i];
		domusd_dom_state_of(&v[i], &e[i].state, &reason);
		e[i].persistent = domusd_def_stat(v[i].name, &e[i].dev, &e[i].ino);
	}
	free(v);
	*out = e;
	return n;
}

/* CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY (316): int eventID; remote_domain dom */
int h_event_register(struct rpc_call *c)
{
	struct rpc_events *ev = &c->s->ev;
	struct rpc_event_cb *cb;

	if (c->a->i != 0)
		return rpc_err(c->err, VIR_ERR_NO_SUPPORT, VIR_FROM_REMOTE,
			       "this function is not supported by the connection driver: domusd sends lifecycle events (event id 0) only, not %d",
			       (int)c->a->i);
	if (ev->n == RPC_EVENT_CB_MAX)
		return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
			       "operation failed: at most %d event callbacks on one connection", RPC_EVENT_CB_MAX);
	if (!ev->n) {
		/* the first registration: changes are seen from now on */
		struct rpc_ev_dom *snap;
		int n = snapshot(c->s->be, &snap);

		if (n < 0)
			return rpc_err(c->err, VIR_ERR_OPERATION_FAILED, VIR_FROM_DOM,
				       "operation failed: domusd cannot list the domains");
		free(ev->snap);
		ev->snap = snap;
		ev->nsnap = n;
		ev->next_ms = now_ms() + RPC_EVENT_PERIOD_MS;
	}
	cb = &ev->cb[ev->n++];
	cb->id = ++ev->last_id;
	cb->has_dom = c->a->has_dom;
	memcpy(cb->uuid, c->a->dom.uuid, 16);
	xdr_put_i32(c->ret, cb->id);
	return 0;
}

/* CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY (317): int callbackID */
int h_event_deregister(struct rpc_call *c)
{
	struct rpc_events *ev = &c->s->ev;
	int i;

	for (i = 0; i < ev->n; i++)
		if (ev->cb[i].id == c->a->i)
			break;
	if (i == ev->n)
		return rpc_err(c->err, VIR_ERR_INVALID_ARG, VIR_FROM_DOM,
			       "invalid argument: no event callback %d on this connection", (int)c->a->i);
	ev->cb[i] = ev->cb[--ev->n];
	if (!ev->n) {
		free(ev->snap);
		ev->snap = NULL;
		ev->nsnap = 0;
	}
	return 0;
}

int rpc_events_timeout(const struct rpc_session *s)
{
	long long left;

	if (!s->ev.n)
		return -1;
	left = s->ev.next_ms - now_ms();
	return left < 0 ? 0 : (int)left;
}

/* One 318 packet per callback that wants @d's event, appended to @out. */
static void emit(struct rpc_session *s, const struct rpc_ev_dom *d, int event, int detail, struct xdr_out *out)
{
	struct rpc_header h = {
		.prog = RPC_PROG_REMOTE, .vers = RPC_VERS, .proc = PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
		.type = RPC_MESSAGE, .serial = 0, .status = RPC_OK,
	};
	uint8_t u[16];
	int i;

	if (domusd_uuid_parse(d->d.uuid, u))
		memset(u, 0, sizeof(u));
	for (i = 0; i < s->ev.n; i++) {
		const struct rpc_event_cb *cb = &s->ev.cb[i];
		size_t start = out->len;

		if (cb->has_dom && memcmp(cb->uuid, u, 16))
			continue;
		rpc_put_header(out, &h);
		xdr_put_i32(out, cb->id);
		domusd_put_dom(out, &d->d);
		xdr_put_i32(out, event);
		xdr_put_i32(out, detail);
		xdr_patch_u32(out, start, (uint32_t)(out->len - start));
	}
}

static const struct rpc_ev_dom *find(const struct rpc_ev_dom *v, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].d.name, name))
			return &v[i];
	return NULL;
}

int rpc_events_poll(struct rpc_session *s, struct xdr_out *out)
{
	struct rpc_events *ev = &s->ev;
	struct rpc_ev_dom *now;
	int n, i;

	xdr_out_reset(out);
	if (!ev->n || now_ms() < ev->next_ms)
		return 0;
	ev->next_ms = now_ms() + RPC_EVENT_PERIOD_MS;
	n = snapshot(s->be, &now);
	if (n < 0)
		return 0;	/* try again next period */
	/* what went: stopped, undefined */
	for (i = 0; i < ev->nsnap; i++) {
		const struct rpc_ev_dom *was = &ev->snap[i], *is = find(now, n, was->d.name);
		struct rpc_ev_dom gone = *was;
		bool was_up = was->d.id != DOMUSD_INACTIVE;

		gone.d.id = DOMUSD_INACTIVE;
		if (was_up && (!is || is->d.id == DOMUSD_INACTIVE))
			emit(s, is ? is : &gone, EV_STOPPED, stop_detail(was), out);
		if (was->persistent && (!is || !is->persistent))
			emit(s, is ? is : &gone, EV_UNDEFINED, UNDEFINED_REMOVED, out);
	}
	/* what came or changed: defined, started, suspended, resumed */
	for (i = 0; i < n; i++) {
		const struct rpc_ev_dom *is = &now[i], *was = find(ev->snap, ev->nsnap, is->d.name);
		bool up = is->d.id != DOMUSD_INACTIVE, was_up = was && was->d.id != DOMUSD_INACTIVE;

		if (is->persistent && (!was || !was->persistent))
			emit(s, is, EV_DEFINED, DEFINED_ADDED, out);
		else if (is->persistent && (is->dev != was->dev || is->ino != was->ino))
			emit(s, is, EV_DEFINED, DEFINED_UPDATED, out);	/* written anew (define, an edit) */
		if (up && !was_up)
			emit(s, is, EV_STARTED, start_detail(is), out);	/* booted, or restored by domusd */
		if (up && is->state == ST_PAUSED && (!was_up || was->state != ST_PAUSED))
			emit(s, is, EV_SUSPENDED, SUSPENDED_PAUSED, out);	/* also one started paused */
		if (up && was_up && is->state != ST_PAUSED && was->state == ST_PAUSED)
			emit(s, is, EV_RESUMED, RESUMED_UNPAUSED, out);
	}
	free(ev->snap);
	ev->snap = now;
	ev->nsnap = n;
	return out->len && !out->err;
}

void rpc_events_end(struct rpc_session *s)
{
	free(s->ev.snap);
	memset(&s->ev, 0, sizeof(s->ev));
}
