// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/io_load.c: the workloads of bench/io that busybox lacks, as one
 * static program that runs in the test guests (both hypervisors) and in the
 * test host.
 *
 *   io_load randread DEV COUNT SEED   COUNT preads of 4 KiB at random
 *                                     4 KiB-aligned offsets of DEV, opened
 *                                     O_DIRECT (no guest page cache)
 *   io_load tcpsend ADDR PORT MIB     connect, send MIB MiB, shut down the
 *                                     sending side, read until the peer
 *                                     closes (it has received every byte)
 *   io_load tcpsink PORT              accept one connection, read it to
 *                                     EOF, print the byte count, close
 *   io_load cpu KIND N                guest speed alone, no device:
 *                                     alu: N M iterations of integer
 *                                     arithmetic in registers; mem: N
 *                                     sweeps writing a 1 MiB buffer;
 *                                     tlb: N sweeps reading one byte per
 *                                     4 KiB page of 64 MiB (TLB misses)
 *
 * Each prints one line "IO-<MODE> key=value ..." with the time taken
 * (CLOCK_MONOTONIC of the system it runs in); exit status 1 on an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLK 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	fprintf(stderr, "io_load: %s: %s\n", what, strerror(errno));
	return 1;
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v == 0 || v > max) {
		fprintf(stderr, "io_load: %s: want a number 1..%lu\n", s, max);
		exit(2);
	}
	return v;
}

static int randread(const char *dev, unsigned long count, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull | 1, blocks;
	void *buf;
	off_t size;
	double t0, t;
	unsigned long i;
	int fd = open(dev, O_RDONLY | O_DIRECT);

	if (fd < 0)
		return die(dev);
	size = lseek(fd, 0, SEEK_END);
	if (size < BLK)
		return die("device size");
	blocks = (uint64_t)size / BLK;
	if (posix_memalign(&buf, BLK, BLK))
		return die("posix_memalign");
	t0 = now();
	for (i = 0; i < count; i++) {
		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, BLK, (off_t)(x % blocks) * BLK) != BLK)
			return die("pread");
	}
	t = now() - t0;
	printf("IO-RANDREAD count=%lu secs=%.3f iops=%.1f\n", count, t, count / t);
	free(buf);
	close(fd);
	return 0;
}

static int tcpsend(const char *addr, unsigned long port, unsigned long mib)
{
	static char buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	unsigned long long left = (unsigned long long)mib << 20, sent = left;
	double t0, t;
	int fd;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "io_load: %s: not an IPv4 address\n", addr);
		return 2;
	}
	memset(buf, 'D', sizeof(buf));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return die("connect");
	t0 = now();
	while (left) {
		ssize_t n = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n <= 0)
			return die("write");
		left -= (unsigned long long)n;
	}
	if (shutdown(fd, SHUT_WR))
		return die("shutdown");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	t = now() - t0;
	printf("IO-TCPSEND bytes=%llu secs=%.3f mbit=%.1f\n", sent, t, sent * 8 / t / 1e6);
	close(fd);
	return 0;
}

static int tcpsink(unsigned long port)
{
	static char buf[65536];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	unsigned long long got = 0;
	double t0 = 0, t;
	int one = 1, lfd, fd;
	ssize_t n;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		return die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		return die("bind/listen");
	printf("IO-TCPSINK listening port=%lu\n", port);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return die("accept");
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!got)
			t0 = now();
		got += (unsigned long long)n;
	}
	t = now() - t0;
	printf("IO-TCPSINK bytes=%llu secs=%.3f\n", got, t);
	close(fd);
	close(lfd);
	return n < 0 ? die("read") : 0;
}

static int cpu(const char *kind, unsigned long n)
{
	volatile unsigned char sink;
	unsigned long i, j, x = 88172645463325252ul;
	unsigned char *buf;
	size_t size = strcmp(kind, "tlb") ? 1ul << 20 : 64ul << 20;
	double t0;

	if (strcmp(kind, "alu") && strcmp(kind, "mem") && strcmp(kind, "tlb")) {
		fprintf(stderr, "io_load: cpu %s: want alu, mem or tlb\n", kind);
		return 2;
	}
	buf = malloc(size);
	if (!buf)
		return die("malloc");
	memset(buf, 1, size);		/* every page present before the clock starts */
	t0 = now();
	for (i = 0; i < n; i++) {
		if (!strcmp(kind, "alu")) {
			for (j = 0; j < 1000000; j++) {		/* xorshift64 */
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
			}
		} else if (!strcmp(kind, "mem")) {
			memset(buf, (int)i, size);
			__asm__ volatile("" : : "r"(buf) : "memory");	/* each sweep is done */
		} else {
			for (j = 0; j < size; j += BLK)
				x += buf[j];
		}
	}
	sink = (unsigned char)(x + buf[size - 1]);
	printf("IO-CPU kind=%s n=%lu secs=%.3f (%u)\n", kind, n, now() - t0, sink);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "cpu"))
		return cpu(argv[2], num(argv[3], 1000000));
	if (argc == 5 && !strcmp(argv[1], "randread"))
		return randread(argv[2], num(argv[3], 10000000), num(argv[4], ~0ul));
	if (argc == 5 && !strcmp(argv[1], "tcpsend"))
		return tcpsend(argv[2], num(argv[3], 65535), num(argv[4], 1 << 20));
	if (argc == 3 && !strcmp(argv[1], "tcpsink"))
		return tcpsink(num(argv[2], 65535));
	fprintf(stderr, "usage: io_load randread DEV COUNT SEED | tcpsend ADDR PORT MIB | tcpsink PORT | cpu alu|mem|tlb N\n");
	return 2;
}
