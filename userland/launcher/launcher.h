/* SPDX-License-Identifier: MIT */
/*
 * domus-launcher: one process per domain (see docs/launcher.md).
 *   main.c     arguments, checks before the domain exists, daemonizing,
 *              the event loop, the control socket, on_* actions
 *   domain.c   building and tearing down the domain, vCPU threads, exits
 *   console.c  the PV console ring backend, console clients, logs
 *   control.c  memory and vCPU requests (mem-set, vcpu-set, vcpu-pin ...)
 *   save.c     save (the control request) and restore (--restore FILE)
 *   sandbox.c  least privilege once the domain is built
 *   xsctl.c    the xenstore admin requests of the control socket
 *   disks.c    the PV disks (userland/backend)
 *   vifs.c     the PV network interfaces (userland/backend)
 *   pvhost.c   the grant-table mapping both share
 *   hotplug.c  block-/network-attach and -detach on a running guest
 *   devices.c  the device model's table (dev_*.c: one file per device)
 *   hvm_cpuid.c  the CPUID view of an HVM domain
 */
#ifndef DOMUS_LAUNCHER_H
#define DOMUS_LAUNCHER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "ctl.h"
#include "libdomus.h"
#include "loader.h"
#include "xlcfg.h"
#include "xenstore.h"
#include "xen_abi.h"
#include "sandbox.h"
#include "blkback.h"
#include "netback.h"
#include "devices.h"

/* Special pages, in the slot at DOMUS_PVH_SPECIAL_GPA (outside RAM). */
#define L_SPECIAL_SLOT		1
/* HVM with firmware: the image read-only below 4 GiB (firmware.c) */
#define L_FIRMWARE_SLOT		2
#define L_CONSOLE_PFN		(DOMUS_PVH_SPECIAL_GPA >> 12)		/* page 0 */
#define L_STORE_PFN		((DOMUS_PVH_SPECIAL_GPA >> 12) + 1)	/* page 1 */

enum l_state {
	L_BUILDING,	/* domain being (re)built */
	L_RUNNING,
	L_SHUTDOWN,	/* the guest shut down; kept by on_*=preserve */
	L_DYING,
};

struct launcher;

struct l_vcpu {
	struct launcher *L;
	struct domus_vcpu_handle v;
	pthread_t th;
	pid_t tid;
	bool started;		/* thread created (joined when false again) */
	bool exited;		/* under L->lock */
	atomic_int stop;
	atomic_int repin;	/* vcpu-pin: apply L->affinity[id] (control.c) */
	unsigned long notes;	/* unexpected exits logged */
};

/* A detach waiting for the guest's front end (hotplug.c). */
#define L_MAX_UNPLUG		8
#define L_UNPLUG_TIMEOUT_MS	10000	/* as libxl's LIBXL_DESTROY_TIMEOUT */
struct l_unplug {
	void *dev;		/* struct blk_disk or struct net_vif; NULL: free slot */
	bool net;
	int fd;			/* the client to answer, -1 none */
	long long deadline_ms;	/* CLOCK_MONOTONIC */
};

#define L_BACKLOG_MAX	(64 * 1024)
#define L_INPUT_MAX	4096

/* An IDE drive of an HVM firmware guest (dev_ide.c): hda..hdd are the
 * primary master, primary slave, secondary master, secondary slave. */
struct l_ide_media {
	bool present;			/* configured */
	bool cdrom;			/* ATAPI CD-ROM (2048-byte blocks) */
	bool readonly;			/* writes refused (every CD) */
	int fd;				/* the image, -1 none (an empty CD drive) */
	uint64_t blocks;		/* its size in 512-byte (disk) or 2048-byte (CD) blocks */
	char vdev[8];
};

struct launcher {
	struct domus_config cfg;
	char *kernel_path, *ramdisk_path;	/* absolute */
	struct domus_load_params lp;
	uint64_t mem_size;
	int devfd;
	bool foreground;
	int ready_fd;

	/* the domain (rebuilt on restart) */
	int domfd;
	unsigned int domid;
	void *ram;
	void *special;
	struct l_vcpu *vcpu;
	unsigned int nvcpu;
	uint32_t con_port;
	bool con_ring;			/* the PV console ring is connected */
	int con_notify_fd, con_kick_fd;	/* eventfds bound to con_port */
	struct xs_store *xs;		/* the guest's xenstore, NULL if none */
	uint32_t xs_port;
	int xs_notify_fd, xs_kick_fd;
	struct domus_kernel *kernel;	/* validated before the first build; closed by it */
	uint8_t *fw_image;		/* HVM firmware: the file, read once (firmware.c) */
	size_t fw_size;
	void *fw_mem;			/* ... mapped below 4 GiB in this build */
	struct l_ide_media ide[4];	/* HVM firmware: the IDE drives hda-hdd (dev_ide.c) */
	void *gnttab;			/* the grant table, mapped for the back ends */
	struct be_host be;		/* the guest as they reach it (pvhost.c) */
	struct blk_disk *disks[DOMUS_CFG_MAX_DISKS];	/* open for the launcher's life */
	size_t ndisks;
	uint64_t target_kib, maxmem_kib;	/* mem-set, mem-max (control.c) */
	unsigned int vcpus_online;	/* vcpu-set: cpu/N/availability online below it */
	struct domus_cpuset *affinity;	/* per vCPU (maxvcpus), NULL: anywhere */
	struct net_vif *vifs[DOMUS_CFG_MAX_VIFS];	/* open for the launcher's life */
	size_t nvifs;
	struct l_unplug unplug[L_MAX_UNPLUG];	/* detaches under way (hotplug.c) */
	int *req_fds;			/* descriptors passed with the request being handled */
	unsigned int req_nfds;
	unsigned int restarts;
	time_t start_time;
	int started;			/* info's started= (DOMUS_STARTED_*): how the run began,
					 * booted again after a pause request or a restart */
	struct dm_state dm;		/* the device model (devices.c), reset at each build */
	int test_exit_code;		/* set by the test-exit device (HVM), -1 none */
	bool ready_keep;		/* HVM: the ready pipe stays open for the end line */
	bool end_deferred;		/* on_* = destroy: the end line waits until the
					 * name is released (end_reason, end_why) */
	int end_reason;
	char end_why[200];
	uint8_t *restore_buf;		/* --restore: the save file, mapped (save.c) */
	size_t restore_len;		/* the current domain's build (uptime) */

	/* shared with the vCPU threads */
	pthread_mutex_t lock;
	enum l_state state;
	int shutdown_reason;		/* why the guest stopped (L_SHUTDOWN), -1 none */
	int pending_reason;		/* reported by a vCPU, not yet acted on; -1 none */
	char pending_why[200];
	double cpu_done;		/* CPU seconds of vCPU threads that ended */
	int event_fd;			/* other threads -> event loop: a shutdown,
					 * console output waiting for the client */
	bool paused;			/* domus pause: vCPU threads park (control.c) */
	unsigned int parked;		/* vCPU threads parked now */
	pthread_cond_t pause_cv;	/* parked threads wait here; a park signals it */
	/* a PVH save's suspend (save.c): NONE; WAIT after control/shutdown =
	 * suspend; DONE when a vCPU made the suspend hypercall (it set paused
	 * and parks with the hypercall's result preset to 1, "cancelled") */
	enum { L_SUSP_NONE, L_SUSP_WAIT, L_SUSP_DONE } suspend;
	unsigned int suspend_vcpu;	/* DONE: the vCPU that suspended */

	/* console output and input */
	pthread_mutex_t con_lock;
	int con_client;			/* the attached console connection, -1 none */
	char *backlog;			/* output not yet sent to a client */
	size_t bl_len;
	char input[L_INPUT_MAX];	/* client input not yet in the ring */
	size_t in_len;
	char early[512];		/* partial line of the early console */
	size_t early_len;
	bool ring_bad_logged;
	bool xs_err_logged;
	bool xs_more;			/* requests left beyond one round's budget */

	/* files */
	struct domus_log log, conlog;	/* NAME.log, NAME-console.log (ctl.h) */
	int lock_fd, ctl_fd;
	char sock_path[108], pid_path[108];
	char log_path[4096];
	char boot_dir[4096];		/* bootloader = pygrub: RUN/NAME.boot, or "" */
	bool quit;
	struct sb_config sb;		/* sandbox.c */
};

/* loop.c: one answer line on a control connection */
void l_reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* hotplug.c: block-/network-attach, -detach, -list (ctl.h); detaches are
 * answered from the event loop (l_hotplug_service: after the guest's
 * xenstore requests, and on the busy poll while one is pending) once the
 * guest let go, or by force after L_UNPLUG_TIMEOUT_MS, or at teardown. */
void l_hotplug_init(struct launcher *L);
void l_hotplug_service(struct launcher *L);
bool l_hotplug_pending(const struct launcher *L);
void l_hotplug_teardown(struct launcher *L);
bool l_ctl_block_attach(struct launcher *L, int fd, const char *arg);
bool l_ctl_block_detach(struct launcher *L, int fd, const char *arg);
bool l_ctl_block_list(struct launcher *L, int fd, const char *arg);
bool l_ctl_network_attach(struct launcher *L, int fd, const char *arg);
bool l_ctl_network_detach(struct launcher *L, int fd, const char *arg);
bool l_ctl_network_list(struct launcher *L, int fd, const char *arg);

/* main.c */
void l_log(struct launcher *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* main.c: end the domain now (state DYING, vCPUs stopped, torn down, the
 * launcher quits); the on_* action for the guest's shutdown. */
/* The domain's exit counters as " key=value" pairs (loop.c); 0 or -errno. */
int l_stats_line(struct launcher *L, char *buf, size_t size);
/* Before the sandbox: RLIMIT_MEMLOCK covers a restart's pinning (main.c). */
void l_memlock_for_restart(struct launcher *L);
void l_destroy(struct launcher *L, const char *why);
void l_act_on_shutdown(struct launcher *L);
/* loop.c: the event loop until the launcher quits (@sfd: signalfd);
 * l_wake from another thread makes it look at the launcher's state again. */
void l_event_loop(struct launcher *L, int sfd);
void l_wake(struct launcher *L);
unsigned int l_alloc_domid(void);

/* domain.c */
int dom_build(struct launcher *L, char *err, size_t errlen);
int dom_start(struct launcher *L);
/* Stop every vCPU thread; 0, or -ETIMEDOUT if one does not stop. */
int dom_stop(struct launcher *L);
/* Close the domain and free its memory (after dom_stop). */
void dom_teardown(struct launcher *L);
/* HVM firmware (firmware.c): read the file before the sandbox; map it at
 * each build (after the RAM slot); free the mapping at teardown. */
int l_firmware_read(struct launcher *L, char *err, size_t errlen);
int l_firmware_map(struct launcher *L, char *err, size_t errlen);
void l_firmware_unmap(struct launcher *L);
/* HVM: take from the host's CPUID table (@n entries) what domus does not
 * back for an HVM guest yet; returns the entries kept (hvm_cpuid.c). */
unsigned int hvm_cpuid_filter(struct domus_cpuid_entry *e, unsigned int n);
/* The IDE disk of an HVM firmware guest, opened before the sandbox (dev_ide.c). */
int l_ide_open(struct launcher *L, char *err, size_t errlen);
bool l_ide_any(const struct launcher *L);
void dom_state_str(struct launcher *L, char out[8]);
double dom_cpu_time(struct launcher *L);
/* A vCPU reports a guest shutdown (or a fatal exit as a crash). */
void dom_guest_stopped(struct launcher *L, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *dom_reason_name(int reason);

/* The guest's xenstore: serve its ring (on notifications and a timer). */
void dom_xenstore_service(struct launcher *L);
/* Ask the guest to power off / reboot through control/shutdown. */
int dom_request_shutdown(struct launcher *L, const char *what);

/* disks.c: open and lock the images (before the sandbox), publish and
 * serve them (each build), disconnect them (each teardown), close. */
int l_disks_open(struct launcher *L, char *err, size_t errlen);
void l_disks_start(struct launcher *L);
void l_disks_stop(struct launcher *L);
void l_disks_close(struct launcher *L);
void l_disks_lock(struct launcher *L, bool lock);
/* control.c: memory and vCPU requests; 0, or -1 with a one-line @msg */
void l_mem_init(struct launcher *L);
int l_mem_apply_max(struct launcher *L);
/* PVHVM: a firmware (SeaBIOS) HVM guest with the Xen platform device also
 * gets the Xen personality, the special pages, xenstore and PV disk twins */
static inline bool l_pvhvm(const struct launcher *L)
{
	return L->cfg.type == DOMUS_TYPE_HVM && L->cfg.firmware && L->cfg.xen_platform_pci;
}
/* Guest memory the launcher pins outside RAM: the PVH special pages; an
 * HVM domain's firmware copy, and the special pages with the Xen platform
 * device (PVHVM); nothing for a multiboot HVM domain. */
uint64_t l_outside_ram_bytes(const struct launcher *L);
int l_mem_set(struct launcher *L, const char *kib, char *msg, size_t len);
int l_mem_max(struct launcher *L, const char *kib, char *msg, size_t len);
int l_vcpu_avail(struct launcher *L, unsigned int n);
int l_vcpu_set(struct launcher *L, const char *n, char *msg, size_t len);
int l_vcpu_pin(struct launcher *L, const char *arg, char *msg, size_t len);
int l_vcpu_list(struct launcher *L, char *out, size_t len);
/* rename the domain to @new; 0, or -1 with @msg (control.c) */
int l_rename(struct launcher *L, const char *new, char *msg, size_t len);
/* pause (true) or unpause the domain; 0, or -1 with @msg (control.c) */
int l_pause(struct launcher *L, bool pause, char *msg, size_t len);
/* a vCPU thread, before each entry: park while paused (control.c) */
void l_vcpu_park(struct l_vcpu *t);
/* In a vCPU thread at its start: cpus= or an earlier vcpu-pin. */
void l_vcpu_apply_affinity(struct launcher *L, unsigned int id);

/* pvhost.c: the back ends' view of the guest, the grant table mapped at
 * the first call of a build (NULL with domus_last_error() set); unmapped
 * at teardown after every back end stopped. */
const struct be_host *l_be_host(struct launcher *L);
void l_be_unmap(struct launcher *L);

/* vifs.c: check the bridges (before the domain exists), create the TAP
 * devices (after the first build, before the sandbox), publish and serve
 * them (each build), disconnect them (each teardown), close. */
int l_vifs_check(struct launcher *L, char *err, size_t errlen);
int l_vifs_open(struct launcher *L, char *err, size_t errlen);
void l_vifs_start(struct launcher *L);
void l_vifs_stop(struct launcher *L);
void l_vifs_close(struct launcher *L);

/* console.c */
int con_open_logs(struct launcher *L);
/* Guest console bytes: console log, client or backlog. */
void con_emit(struct launcher *L, const char *buf, size_t n);
/* Early console (CONSOLEIO_write, port 0xE9): the launcher log, and the
 * console itself when there is no ring. */
void con_early(struct launcher *L, const char *buf, size_t n);
/* Move guest output out of the ring and client input into it (an HVM
 * domain: client input into the UART's receiver). */
void con_service(struct launcher *L);
bool con_input_pending(struct launcher *L);
/* HVM: client input into the UART as far as it has room (takes con_lock,
 * then the device lock: never call it holding L->lock). */
void con_uart_feed(struct launcher *L);
void con_attach(struct launcher *L, int fd);
void con_detach(struct launcher *L);
/* The client sent bytes / can take more: */
void con_client_readable(struct launcher *L);
void con_client_writable(struct launcher *L);
bool con_wants_output(struct launcher *L);

/* xsctl.c: the xenstore admin requests (ctl.h), @arg the rest of the line */
bool l_ctl_xs_read(struct launcher *L, int fd, const char *arg);
bool l_ctl_xs_write(struct launcher *L, int fd, const char *arg);
bool l_ctl_xs_rm(struct launcher *L, int fd, const char *arg);
bool l_ctl_xs_list(struct launcher *L, int fd, const char *arg);
bool l_ctl_xs_ls(struct launcher *L, int fd, const char *arg);
/* xsfwd.c: the host's xenstored (domus xenstored) */
bool l_ctl_xs_wire(struct launcher *L, int fd, const char *arg);
bool l_ctl_xs_watch(struct launcher *L, int fd, const char *arg);
void l_xs_watch_service(struct launcher *L);
void l_xs_watch_close_all(struct launcher *L);

/* save.c: the save request (ctl.h) and restore (--restore FILE): the file
 * validated and the config taken from it (l_restore_open, before the
 * config is finished), checked against that config (l_restore_check), RAM
 * filled in place of the kernel and vCPUs and devices set (dom_build);
 * 0 or -1 with a one-line @err. */
struct xsr_state;
bool l_ctl_save(struct launcher *L, int fd, const char *arg);
/* save.c, shared with migrate.c */
char *l_save_config(struct launcher *L, size_t *len);
bool l_save_possible(struct launcher *L, int fd, const char *what);
int l_save_collect(struct launcher *L, struct xsr_state *st, char *err, size_t errlen);
void l_save_fill(struct launcher *L, struct xsr_state *st, uint32_t khz);
void l_save_resume(struct launcher *L, bool was_paused);
int l_pv_suspend(struct launcher *L, char *err, size_t errlen);
bool l_save_wait_commit(int fd);
uint32_t l_tsc_khz(void);
/* migrate.c: "migrate" + the stream's descriptor (docs/save-format.md "Live migration") */
bool l_ctl_migrate(struct launcher *L, int fd, const char *arg);
int l_restore_open(struct launcher *L, const char *path, char *err, size_t errlen);
int l_restore_check(struct launcher *L, char *err, size_t errlen);
int l_restore_ram(struct launcher *L, struct xsr_state *st, char *err, size_t errlen);
int l_restore_vcpus(struct launcher *L, struct xsr_state *st, char *err, size_t errlen);
void l_restore_done(struct launcher *L);

/* sandbox.c: drop privileges and load the syscall filter (after the
 * first dom_build, before the vCPU threads start); the debug-* request. */
int l_sandbox_enter(struct launcher *L, char *err, size_t errlen);
bool l_sandbox_debug_request(struct launcher *L, int fd, const char *what);

#endif
