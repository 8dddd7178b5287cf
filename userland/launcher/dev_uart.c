// SPDX-License-Identifier: MIT
/*
 * domus-launcher device: a 16550 UART as COM1 (0x3f8-0x3ff, the serial
 * console of an HVM domain).  What the guest writes to THR goes to the
 * domain's console (console log, `domus console`, the backlog); the
 * transmitter is always empty (LSR THRE|TEMT) and no byte is ever
 * received yet (LSR DR clear, RBR 0).  The one interrupt is THR empty
 * (IER bit 1): pending when IER enables it and after each byte written
 * to THR (sent at once), cleared by an IIR read that reports it; it
 * drives IRQ 4 while MCR OUT2 is set (as on a PC), with a fall and rise
 * per byte so the PIC's edge input sees each one.  The divisor latch,
 * IER, LCR, MCR and the scratch register keep what is written, so drivers
 * that probe them find a 16550.
 */
#include <string.h>
#include "launcher.h"
#include "devices.h"

#define UART_LCR_DLAB	0x80
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_IIR_NONE	0x01
#define UART_IIR_THRI	0x02
#define UART_IER_THRI	0x02
#define UART_MCR_OUT2	0x08
#define UART_IIR_FIFO	0xc0
#define UART_MSR_IDLE	0xb0	/* DCD, DSR, CTS: a terminal is there */

static void uart_reset(struct launcher *L)
{
	memset(&L->dm.uart, 0, sizeof(L->dm.uart));
	L->dm.uart.dll = 1;	/* 115200 baud */
	L->dm.uart.lcr = 0x03;	/* 8N1 */
}

/* The level of IRQ 4. */
bool dm_uart_irq(const struct dm_uart_regs *u)
{
	return (u->ier & UART_IER_THRI) && u->thri && (u->mcr & UART_MCR_OUT2);
}

static uint8_t uart_read(struct dm_uart_regs *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0: return dlab ? u->dll : 0;		/* RBR: nothing received */
	case 1: return dlab ? u->dlm : u->ier & 0x0f;
	case 2:
		if ((u->ier & UART_IER_THRI) && u->thri) {
			u->thri = false;	/* reading it acknowledges */
			return UART_IIR_THRI | (u->fcr & 1 ? UART_IIR_FIFO : 0);
		}
		return UART_IIR_NONE | (u->fcr & 1 ? UART_IIR_FIFO : 0);
	case 3: return u->lcr;
	case 4: return u->mcr & 0x1f;
	case 5: return UART_LSR_THRE | UART_LSR_TEMT;
	case 6: return u->mcr & 0x10 ? (uint8_t)((u->mcr & 0x0c) << 4 | (u->mcr & 0x03) << 4) : UART_MSR_IDLE;
	default: return u->scr;
	}
}

/* Returns true when @v is a byte for the console. */
static bool uart_write(struct dm_uart_regs *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab) {
			u->dll = v;
			break;
		}
		u->thri = true;			/* sent at once: THR empty again */
		return !(u->mcr & 0x10);	/* not in loopback */
	case 1:
		if (dlab) {
			u->dlm = v;
			break;
		}
		if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thri = true;		/* enabled with THR empty */
		u->ier = v & 0x0f;
		break;
	case 2: u->fcr = v & 0xc9; break;
	case 3: u->lcr = v; break;
	case 4: u->mcr = v & 0x1f; break;
	case 7: u->scr = v; break;
	default: break;					/* LSR, MSR: read-only */
	}
	return false;
}

static bool uart_pio(struct l_vcpu *t, uint64_t off, unsigned int size, bool write, uint8_t *data)
{
	struct launcher *L = t->L;
	char out[4];
	size_t n = 0;
	unsigned int i;

	/* a wider access touches the next registers, byte by byte; the
	 * console gets the bytes once the registers' lock is let go */
	pthread_mutex_lock(&L->lock);
	for (i = 0; i < size && off + i < 8; i++) {
		if (write && uart_write(&L->dm.uart, (unsigned int)(off + i), data[i]))
			out[n++] = (char)data[i];
		else if (!write)
			data[i] = uart_read(&L->dm.uart, (unsigned int)(off + i));
	}
	if (write && off == 0 && !(L->dm.uart.lcr & UART_LCR_DLAB))
		dm_pic_set_irq(&L->dm.pic, 4, false);	/* THR full for a moment */
	dm_pic_set_irq(&L->dm.pic, 4, dm_uart_irq(&L->dm.uart));
	dm_irq_kick(L);
	pthread_mutex_unlock(&L->lock);
	con_emit(L, out, n);
	return true;
}

const struct dm_device dm_uart = {
	.name = "uart-16550", .types = DM_HVM, .port = 0x3f8, .nports = 8, .pio = uart_pio,
	.reset = uart_reset,
};
