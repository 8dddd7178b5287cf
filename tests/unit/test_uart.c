// SPDX-License-Identifier: MIT
/*
 * The launcher's 16550A (userland/launcher/dev_uart.c): the RX FIFO
 * (16 bytes, one in 16450 mode), FCR enable and clear, LSR.DR and OE,
 * RBR reads in order, IIR priorities (line status > received data >
 * THR empty) with the trigger level and the character timeout, loopback,
 * IRQ 4 through the 8259 (dev_pic.c) for THR empty and received data,
 * the port glue (console output, the feed after an RBR read), Linux's
 * 8250 probe and interrupt loop, and random port traffic with random
 * input (a hostile guest) that must keep every field in range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "launcher.h"
#include "devices.h"
#include "unit.h"

/* ---- stubs for what dev_uart.c calls in the launcher ---- */
static char emitted[4096];
static size_t emitted_len;
static unsigned int feeds;

void con_emit(struct launcher *L, const char *buf, size_t n)
{
	(void)L;
	if (n > sizeof(emitted) - emitted_len)
		n = sizeof(emitted) - emitted_len;
	memcpy(emitted + emitted_len, buf, n);
	emitted_len += n;
}

void con_uart_feed(struct launcher *L)
{
	(void)L;
	feeds++;
}

static struct dm_uart_regs U;

static uint8_t in(unsigned int reg)
{
	return dm_uart_read(&U, reg);
}

static bool out(unsigned int reg, uint8_t v)
{
	return dm_uart_write(&U, reg, v);
}

static unsigned int put(const char *s)
{
	return dm_uart_rx_put(&U, (const uint8_t *)s, (unsigned int)strlen(s));
}

static void test_reset(void)
{
	dm_uart_init(&U);
	EXPECT(in(5) == 0x60);		/* THRE|TEMT, no data */
	EXPECT(in(2) == 0x01);		/* no interrupt, no FIFO */
	EXPECT(in(0) == 0);		/* empty RBR */
	EXPECT(dm_uart_rx_room(&U) == 1);	/* 16450 mode: one byte */
	EXPECT(!dm_uart_irq(&U));
}

static void test_fifo(void)
{
	char buf[40];
	unsigned int i;

	dm_uart_init(&U);
	out(2, 0x01);			/* FIFO on */
	EXPECT((in(2) & 0xc0) == 0xc0);
	EXPECT(dm_uart_rx_room(&U) == 16);
	for (i = 0; i < sizeof(buf) - 1; i++)
		buf[i] = (char)('a' + i % 26);
	buf[sizeof(buf) - 1] = 0;
	EXPECT(put(buf) == 16);		/* bounded: the rest waits */
	EXPECT(dm_uart_rx_room(&U) == 0);
	EXPECT(put("z") == 0);
	EXPECT(in(5) & 0x01);		/* DR */
	EXPECT(!(in(5) & 0x02));	/* no overrun from the console */
	for (i = 0; i < 16; i++)
		EXPECT(in(0) == (uint8_t)buf[i]);
	EXPECT(!(in(5) & 0x01));
	EXPECT(in(0) == 0);
	/* wraps around */
	EXPECT(put("0123456789") == 10);
	EXPECT(in(0) == '0' && in(0) == '1');
	EXPECT(put("abcdefgh") == 8);
	EXPECT(dm_uart_rx_room(&U) == 0);
	for (i = 2; i < 10; i++)
		EXPECT(in(0) == '0' + i);
	for (i = 0; i < 8; i++)
		EXPECT(in(0) == 'a' + i);
	EXPECT(U.rx_count == 0 && U.rx_head < DM_UART_FIFO);
}

static void test_fcr_clear(void)
{
	dm_uart_init(&U);
	out(2, 0x01);
	EXPECT(put("hello") == 5);
	out(2, 0x03);			/* clear RX, FIFO stays on */
	EXPECT(!(in(5) & 0x01));
	EXPECT(dm_uart_rx_room(&U) == 16);
	EXPECT(put("hi") == 2);
	out(2, 0x00);			/* FIFO off: cleared, one byte */
	EXPECT(!(in(5) & 0x01));
	EXPECT((in(2) & 0xc0) == 0);
	EXPECT(put("xy") == 1);
	EXPECT(put("y") == 0);
	EXPECT(in(0) == 'x');
	EXPECT(put("y") == 1);
	EXPECT(in(0) == 'y');
	out(2, 0x01);
	EXPECT(put("abc") == 3);
	out(2, 0x05);			/* clear TX only: RX kept */
	EXPECT(in(0) == 'a');
	out(2, 0xc1);			/* trigger level change: RX kept */
	EXPECT(in(0) == 'b');
}

static void test_iir_priorities(void)
{
	dm_uart_init(&U);
	out(2, 0x01);			/* trigger 1 */
	out(1, 0x07);			/* RLSI, THRI, RDI */
	EXPECT((in(2) & 0x0f) == 0x02);	/* THR empty on enable ... */
	EXPECT((in(2) & 0x0f) == 0x01);	/* ... acknowledged by the IIR read */
	out(0, 'a');			/* THR empty again */
	EXPECT(put("x") == 1);
	EXPECT((in(2) & 0x0f) == 0x04);	/* data beats THR empty */
	EXPECT((in(2) & 0x0f) == 0x04);	/* and stays until read */
	/* loopback overrun: line status beats both */
	out(4, 0x10);
	out(2, 0x01 | 0x02);		/* clear */
	for (int i = 0; i < 16; i++)
		out(0, (uint8_t)('A' + i));
	out(0, 'Q');			/* FIFO full: overrun */
	EXPECT((in(2) & 0x0f) == 0x06);
	EXPECT((in(5) & 0x03) == 0x03);	/* OE and DR; the read clears OE */
	EXPECT((in(5) & 0x02) == 0);
	EXPECT((in(2) & 0x0f) == 0x04);	/* now the data */
	for (int i = 0; i < 16; i++)
		EXPECT(in(0) == 'A' + i);	/* Q was lost, as on the chip */
	EXPECT((in(2) & 0x0f) == 0x02);	/* then THR empty */
	EXPECT((in(2) & 0x0f) == 0x01);
	/* RLSI disabled: no line status interrupt */
	out(1, 0x01);
	for (int i = 0; i < 17; i++)
		out(0, 'x');
	EXPECT((in(2) & 0x0f) == 0x04);
}

static void test_trigger_timeout(void)
{
	dm_uart_init(&U);
	out(2, 0x81);			/* trigger 8 */
	out(1, 0x01);
	EXPECT(put("abc") == 3);
	EXPECT((in(2) & 0x0f) == 0x0c);	/* below the trigger: the timeout */
	EXPECT(put("defgh") == 5);
	EXPECT((in(2) & 0x0f) == 0x04);	/* at the trigger */
	EXPECT(in(0) == 'a');
	EXPECT((in(2) & 0x0f) == 0x0c);
	out(2, 0xc1);			/* 14 */
	EXPECT((in(2) & 0x0f) == 0x0c);
	out(2, 0x41);			/* 4 */
	EXPECT((in(2) & 0x0f) == 0x04);
	while (in(5) & 0x01)
		(void)in(0);
	EXPECT((in(2) & 0x0f) == 0x01);
	/* RDI off: data but no interrupt */
	out(1, 0x00);
	EXPECT(put("a") == 1);
	EXPECT((in(2) & 0x0f) == 0x01);
	EXPECT(!dm_uart_irq(&U));
}

static void test_dlab(void)
{
	dm_uart_init(&U);
	out(2, 0x01);
	EXPECT(put("k") == 1);
	out(3, 0x83);
	out(0, 0x0c);			/* 9600 baud */
	out(1, 0x00);
	EXPECT(in(0) == 0x0c && in(1) == 0);
	EXPECT(in(5) & 0x01);		/* the byte is still there */
	out(3, 0x03);
	EXPECT(in(0) == 'k');
}

static void test_irq_line(void)
{
	dm_uart_init(&U);
	out(1, 0x01);
	EXPECT(put("a") == 1);
	EXPECT(!dm_uart_irq(&U));	/* OUT2 clear: no IRQ 4 */
	out(4, 0x08);
	EXPECT(dm_uart_irq(&U));
	(void)in(0);
	EXPECT(!dm_uart_irq(&U));
	out(1, 0x02);
	EXPECT(dm_uart_irq(&U));	/* THR empty */
	(void)in(2);
	EXPECT(!dm_uart_irq(&U));
}

/* Linux's 8250 probe (autoconfig): scratch, IER, LCR, MCR loopback MSR,
 * FIFO detection through IIR bits 7:6 after FCR 0xe7. */
static void test_linux_probe(void)
{
	uint8_t save_lcr;

	dm_uart_init(&U);
	out(1, 0x00);
	EXPECT((in(1) & 0x0f) == 0);
	out(1, 0x0f);
	EXPECT((in(1) & 0x0f) == 0x0f);
	out(1, 0x00);
	out(7, 0xa5);
	EXPECT(in(7) == 0xa5);
	out(4, 0x1a);			/* loopback + RTS + OUT2 */
	EXPECT((in(6) & 0xf0) == 0x90);
	out(4, 0x00);
	save_lcr = in(3);
	out(3, 0xbf);			/* EFR probe: no EFR, the LCR is kept */
	EXPECT(in(3) == 0xbf);
	out(3, save_lcr);
	out(2, 0xe7);
	EXPECT((in(2) & 0xc0) == 0xc0);	/* a 16550A */
	out(2, 0x00);
	EXPECT((in(2) & 0xc0) == 0);
}

/* ---- the port glue, with a PIC ---- */
static struct launcher *L;
static struct l_vcpu T;

static uint8_t pin(unsigned int reg)
{
	uint8_t d = 0xff;

	EXPECT(dm_uart.pio(&T, reg, 1, false, &d));
	return d;
}

static void pout(unsigned int reg, uint8_t v)
{
	EXPECT(dm_uart.pio(&T, reg, 1, true, &v));
}

static void glue_setup(void)
{
	L = calloc(1, sizeof(*L));
	if (!L)
		abort();
	pthread_mutex_init(&L->lock, NULL);
	pthread_cond_init(&L->pause_cv, NULL);
	T.L = L;
	dm_pic_init(&L->dm.pic);
	dm_uart.reset(L);
	/* the PIC as Linux sets it: master base 0x30, IRQ 4 unmasked */
	dm_pic_write(&L->dm.pic, 0, 0, 0x11);
	dm_pic_write(&L->dm.pic, 0, 1, 0x30);
	dm_pic_write(&L->dm.pic, 0, 1, 0x04);
	dm_pic_write(&L->dm.pic, 0, 1, 0x01);
	dm_pic_write(&L->dm.pic, 0, 1, 0xef);
	emitted_len = 0;
	feeds = 0;
}

static void glue_teardown(void)
{
	pthread_cond_destroy(&L->pause_cv);
	pthread_mutex_destroy(&L->lock);
	free(L);
	L = NULL;
}

/* Linux's serial8250_interrupt: IIR until "none", reading while LSR.DR. */
static size_t linux_isr(char *got, size_t max)
{
	size_t n = 0;
	unsigned int loops = 0;

	while (!(pin(2) & 0x01) && loops++ < 64)
		while ((pin(5) & 0x01) && n < max)
			got[n++] = (char)pin(0);
	return n;
}

static void test_glue_rx_irq(void)
{
	char got[64];
	size_t n;

	glue_setup();
	pout(2, 0xc7);			/* FIFO on, cleared, trigger 14 */
	pout(4, 0x0b);			/* DTR, RTS, OUT2 */
	pout(1, 0x01);			/* RDI */
	EXPECT(!dm_pic_intr(&L->dm.pic));
	EXPECT(dm_uart_receive(L, "hello\r", 6) == 6);
	EXPECT(dm_pic_intr(&L->dm.pic));
	EXPECT(dm_pic_ack(&L->dm.pic) == 0x34);	/* IRQ 4 */
	n = linux_isr(got, sizeof(got));
	EXPECT(n == 6 && !memcmp(got, "hello\r", 6));
	EXPECT(feeds == 6);		/* each RBR read asks for more input */
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);	/* EOI */
	EXPECT(!dm_pic_intr(&L->dm.pic));
	/* a full FIFO takes 16, the rest is left to the caller */
	EXPECT(dm_uart_receive(L, "0123456789abcdefXYZ", 19) == 16);
	EXPECT(dm_uart_receive(L, "XYZ", 3) == 0);
	EXPECT(dm_pic_intr(&L->dm.pic));
	EXPECT(dm_pic_ack(&L->dm.pic) == 0x34);
	n = linux_isr(got, sizeof(got));
	EXPECT(n == 16 && !memcmp(got, "0123456789abcdef", 16));
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);
	/* each receive is a new edge, even with the line already up */
	EXPECT(dm_uart_receive(L, "a", 1) == 1);
	EXPECT(dm_pic_ack(&L->dm.pic) == 0x34);
	EXPECT(dm_uart_receive(L, "b", 1) == 1);	/* still in service */
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);
	EXPECT(dm_pic_intr(&L->dm.pic));		/* the second edge is pending */
	EXPECT(dm_pic_ack(&L->dm.pic) == 0x34);
	n = linux_isr(got, sizeof(got));
	EXPECT(n == 2 && got[0] == 'a' && got[1] == 'b');
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);
	EXPECT(!dm_pic_intr(&L->dm.pic));
	/* the receiver disabled: nothing raised */
	pout(1, 0x00);
	EXPECT(dm_uart_receive(L, "q", 1) == 1);
	EXPECT(!dm_pic_intr(&L->dm.pic));
	EXPECT(pin(0) == 'q');
	EXPECT(dm_uart_receive(L, "", 0) == 0);
	glue_teardown();
}

static void test_glue_tx(void)
{
	uint8_t w[4] = { 'a', 'b', 'c', 'd' };

	glue_setup();
	pout(4, 0x08);
	pout(0, 'h');
	pout(0, 'i');
	EXPECT(emitted_len == 2 && !memcmp(emitted, "hi", 2));
	pout(1, 0x02);
	EXPECT(dm_pic_intr(&L->dm.pic));	/* THR empty raises IRQ 4 */
	EXPECT(dm_pic_ack(&L->dm.pic) == 0x34);
	EXPECT((pin(2) & 0x0f) == 0x02);
	dm_pic_write(&L->dm.pic, 0, 0, 0x20);
	/* loopback: no console output, the byte comes back */
	pout(4, 0x18);
	pout(0, 'L');
	EXPECT(emitted_len == 2);
	EXPECT(pin(0) == 'L');
	pout(4, 0x08);
	/* a 4-byte write to THR: THR, IER, FCR, LCR; one byte out */
	emitted_len = 0;
	EXPECT(dm_uart.pio(&T, 0, 4, true, w));
	EXPECT(emitted_len == 1 && emitted[0] == 'a');
	EXPECT(L->dm.uart.ier == ('b' & 0x0f));
	EXPECT(L->dm.uart.lcr == 'd');
	/* an access past the range's end touches nothing beyond reg 7 */
	EXPECT(dm_uart.pio(&T, 7, 4, true, w));
	EXPECT(L->dm.uart.scr == 'a');
	glue_teardown();
}

/* A hostile guest: random registers and values, random input. */
static void test_random(void)
{
	unsigned int seed = 99, i;

	dm_uart_init(&U);
	for (i = 0; i < 500000; i++) {
		unsigned int r;
		uint8_t v, buf[20];

		seed = seed * 1103515245u + 12345u;
		r = seed >> 16;
		v = (uint8_t)(seed >> 8);
		switch (r % 4) {
		case 0: out(r / 4 % 8, v); break;
		case 1: (void)in(r / 4 % 8); break;
		case 2: {
			unsigned int n = r / 4 % 21, room = dm_uart_rx_room(&U), k;

			for (k = 0; k < n; k++)
				buf[k] = (uint8_t)(v + k);
			k = dm_uart_rx_put(&U, buf, n);
			EXPECT(k <= n && k <= room);
			break;
		}
		default: (void)dm_uart_irq(&U); break;
		}
		EXPECT(U.rx_count <= DM_UART_FIFO && U.rx_head < DM_UART_FIFO);
		EXPECT((U.fcr & 1) || U.rx_count <= 1);
		EXPECT(U.ier <= 0x0f && U.mcr <= 0x1f);
		if (unit_cur_failed)
			break;
	}
	/* usable afterwards */
	out(3, 0x03);
	out(4, 0x00);
	out(2, 0x07);
	EXPECT(put("ok") == 2);
	EXPECT(in(0) == 'o' && in(0) == 'k');
	/* an out-of-range state (a bad restore) reads as empty */
	U.rx_count = 200;
	U.rx_head = 77;
	EXPECT(in(0) == 0);
	EXPECT(U.rx_count == 0 && U.rx_head == 0);
	EXPECT(dm_uart_rx_room(&U) == 16);
}

int main(void)
{
	RUN(UNIT_PREFIX, test_reset);
	RUN(UNIT_PREFIX, test_fifo);
	RUN(UNIT_PREFIX, test_fcr_clear);
	RUN(UNIT_PREFIX, test_iir_priorities);
	RUN(UNIT_PREFIX, test_trigger_timeout);
	RUN(UNIT_PREFIX, test_dlab);
	RUN(UNIT_PREFIX, test_irq_line);
	RUN(UNIT_PREFIX, test_linux_probe);
	RUN(UNIT_PREFIX, test_glue_rx_irq);
	RUN(UNIT_PREFIX, test_glue_tx);
	RUN(UNIT_PREFIX, test_random);
	return unit_failed;
}
