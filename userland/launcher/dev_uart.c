// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: a 16550A UART as COM1 (0x3f8-0x3ff, the serial
 * console of an HVM domain; docs/devices.md "The serial port (HVM)").
 *
 * Transmit: what the guest writes to THR goes to the domain's console
 * (console log, `domus console`, the backlog) at once, so the transmitter
 * is always empty (LSR THRE|TEMT).
 *
 * Receive: what `domus console` types reaches a 16-byte RX FIFO
 * (dm_uart_receive, fed by console.c from the launcher's bounded input
 * buffer only as far as the FIFO has room: input beyond it waits in that
 * buffer, then in the client's socket).  With the FIFO off (FCR bit 0
 * clear, the 16450 mode) it holds one byte.  LSR.DR while a byte is
 * there; RBR reads take them in order (an empty RBR reads 0).  In
 * loopback (MCR bit 4) THR bytes go to the FIFO instead, and a byte that
 * finds it full sets LSR.OE (cleared by an LSR read), as on the chip.
 *
 * Interrupts, by priority (IIR): line status (OE, IER bit 2) > received
 * data (IER bit 0: IIR 0x04 at the FCR trigger level, else 0x0c, the
 * character timeout, at once: the console has no line timing to wait on)
 * > THR empty (IER bit 1: pending when enabled with THR empty and after
 * each byte written, cleared by the IIR read that reports it).  Any of
 * them drives IRQ 4 while MCR OUT2 is set, with a fall and rise for each
 * byte written or received so the PIC's edge input sees each one.  The
 * divisor latch, IER, LCR, MCR and the scratch register keep what is
 * written, so drivers that probe them find a 16550A.
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define UART_LCR_DLAB	0x80
#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_IIR_NONE	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_CTI	0x0c
#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IER_RLSI	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02
#define UART_IIR_FIFO	0xc0
#define UART_MSR_IDLE	0xb0	/* DCD, DSR, CTS: a terminal is there */

void dm_uart_init(struct dm_uart_regs *u)
{
	memset(u, 0, sizeof(*u));
	u->dll = 1;	/* 115200 baud */
	u->lcr = 0x03;	/* 8N1 */
}

static void uart_reset(struct launcher *L)
{
	dm_uart_init(&L->dm.uart);
}

static bool fifo_on(const struct dm_uart_regs *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

/* Bytes the receiver takes now: the FIFO's room, or the holding register's. */
unsigned int dm_uart_rx_room(const struct dm_uart_regs *u)
{
	unsigned int cap = fifo_on(u) ? DM_UART_FIFO : 1;
	unsigned int count = u->rx_count > DM_UART_FIFO ? DM_UART_FIFO : u->rx_count;

	return count >= cap ? 0 : cap - count;
}

/* Put up to @n bytes in; returns how many it took (at most the room). */
unsigned int dm_uart_rx_put(struct dm_uart_regs *u, const uint8_t *buf, unsigned int n)
{
	unsigned int room = dm_uart_rx_room(u), i;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		u->rx[(u->rx_head + u->rx_count) % DM_UART_FIFO] = buf[i];
		u->rx_count++;
	}
	return n;
}

static uint8_t rx_pop(struct dm_uart_regs *u)
{
	uint8_t v;

	if (!u->rx_count || u->rx_count > DM_UART_FIFO || u->rx_head >= DM_UART_FIFO) {
		u->rx_count = 0;	/* out of range (a restored state): empty */
		u->rx_head = 0;
		return 0;
	}
	v = u->rx[u->rx_head];
	u->rx_head = (uint8_t)((u->rx_head + 1) % DM_UART_FIFO);
	u->rx_count--;
	return v;
}

static unsigned int rx_trigger(const struct dm_uart_regs *u)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };

	return fifo_on(u) ? level[u->fcr >> 6] : 1;
}

/* The interrupt to report (IIR bits 3:0), UART_IIR_NONE if none. */
static uint8_t uart_iid(const struct dm_uart_regs *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr_err & UART_LSR_OE))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return u->rx_count >= rx_trigger(u) ? UART_IIR_RDI : UART_IIR_CTI;
	if ((u->ier & UART_IER_THRI) && u->thri)
		return UART_IIR_THRI;
	return UART_IIR_NONE;
}

/* The level of IRQ 4. */
bool dm_uart_irq(const struct dm_uart_regs *u)
{
	return uart_iid(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2);
}

uint8_t dm_uart_read(struct dm_uart_regs *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case 0: return dlab ? u->dll : rx_pop(u);
	case 1: return dlab ? u->dlm : u->ier & 0x0f;
	case 2:
		v = uart_iid(u);
		if (v == UART_IIR_THRI)
			u->thri = false;	/* reading it acknowledges */
		return v | (fifo_on(u) ? UART_IIR_FIFO : 0);
	case 3: return u->lcr;
	case 4: return u->mcr & 0x1f;
	case 5:
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0) | (u->lsr_err & UART_LSR_OE);
		u->lsr_err = 0;			/* reading LSR clears the error bits */
		return v;
	case 6:
		/* loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD
		 * (Linux's probe wants 0x90 for RTS|OUT2) */
		if (!(u->mcr & UART_MCR_LOOP))
			return UART_MSR_IDLE;
		return (uint8_t)((u->mcr & 0x01) << 5 | (u->mcr & 0x02) << 3 | (u->mcr & 0x0c) << 4);
	default: return u->scr;
	}
}

/* Returns true when @v is a byte for the console. */
bool dm_uart_write(struct dm_uart_regs *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab) {
			u->dll = v;
			break;
		}
		u->thri = true;			/* sent at once: THR empty again */
		if (!(u->mcr & UART_MCR_LOOP))
			return true;
		if (!dm_uart_rx_put(u, &v, 1))	/* looped back to the receiver */
			u->lsr_err |= UART_LSR_OE;
		break;
	case 1:
		if (dlab) {
			u->dlm = v;
			break;
		}
		if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thri = true;		/* enabled with THR empty */
		u->ier = v & 0x0f;
		break;
	case 2:
		/* turning the FIFOs on or off clears them, as bit 1 does */
		if ((v ^ u->fcr) & UART_FCR_ENABLE || (v & UART_FCR_CLR_RX)) {
			u->rx_count = 0;
			u->rx_head = 0;
		}
		u->fcr = v & 0xc9;
		break;
	case 3: u->lcr = v; break;
	case 4: u->mcr = v & 0x1f; break;
	case 7: u->scr = v; break;
	default: break;					/* LSR, MSR: read-only */
	}
	return false;
}

/* Under L->lock: IRQ 4 follows the UART; @pulse drops it first (an edge per byte). */
static void uart_irq_update(struct launcher *L, bool pulse)
{
	if (pulse)
		dm_pic_set_irq(&L->dm.pic, 4, false);
	dm_pic_set_irq(&L->dm.pic, 4, dm_uart_irq(&L->dm.uart));
	dm_irq_kick(L);
}

size_t dm_uart_receive(struct launcher *L, const char *buf, size_t n)
{
	unsigned int took;

	if (!n)
		return 0;
	pthread_mutex_lock(&L->lock);
	took = dm_uart_rx_put(&L->dm.uart, (const uint8_t *)buf, n > DM_UART_FIFO ? DM_UART_FIFO : (unsigned int)n);
	if (took)
		uart_irq_update(L, true);
	pthread_mutex_unlock(&L->lock);
	return took;
}

static bool uart_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	bool received = false;
	char out[4];
	size_t n = 0;
	unsigned int i;

	/* a wider access touches the next registers, byte by byte; the
	 * console gets the bytes once the registers' lock is let go */
	pthread_mutex_lock(&L->lock);
	for (i = 0; i < size && off + i < 8; i++) {
		bool dlab = L->dm.uart.lcr & UART_LCR_DLAB;

		if (write && dm_uart_write(&L->dm.uart, (unsigned int)(off + i), data[i]))
			out[n++] = (char)data[i];
		else if (!write)
			data[i] = dm_uart_read(&L->dm.uart, (unsigned int)(off + i));
		if (!write && off + i == 0 && !dlab)
			received = true;
	}
	uart_irq_update(L, write && off == 0 && !(L->dm.uart.lcr & UART_LCR_DLAB));	/* THR full for a moment */
	pthread_mutex_unlock(&L->lock);
	con_emit(L, out, n);
	if (received)
		con_uart_feed(L);	/* room in the FIFO: more input */
	return true;
}

const struct dm_device dm_uart = {
	.name = "uart-16550", .types = DM_HVM, .port = 0x3f8, .nports = 8, .pio = uart_pio,
	.reset = uart_reset,
};
