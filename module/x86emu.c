// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 decoder and emulator for guest MMIO accesses (see x86emu.h).
 * Opcode and flag definitions follow the Intel SDM vol. 2 and the AMD APM
 * vol. 3.  Shared by the kernel module and the userland unit tests.
 */
#include "x86emu.h"

enum {
	ST_IDLE,
	ST_WAIT_READ,
	ST_WAIT_WRITE,
};

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static u64 sign_bit(unsigned int size)
{
	return 1ULL << (size * 8 - 1);
}

/* Sign-extend the low size bytes of v to 64 bits. */
static u64 sext(u64 v, unsigned int size)
{
	u64 m = size_mask(size);

	v &= m;
	if (v & sign_bit(size))
		v |= ~m;
	return v;
}

/* Little-endian fetch of n (1, 2, 4, 8) bytes; -1 if past lim. */
static int fetch(const u8 *b, unsigned int lim, unsigned int *pos,
		 unsigned int n, u64 *out)
{
	u64 v = 0;
	unsigned int k;

	if (n > 8 || *pos > lim || lim - *pos < n)
		return -1;
	for (k = 0; k < n; k++)
		v |= (u64)b[*pos + k] << (8 * k);
	*pos += n;
	*out = v;
	return 0;
}

/* ModRM (+ SIB + displacement); the operand must be memory. */
static int decode_modrm(const u8 *b, unsigned int lim, unsigned int *pos,
			struct x86emu_insn *i)
{
	u64 v;
	unsigned int rm3;

	if (fetch(b, lim, pos, 1, &v))
		return -1;
	i->has_modrm = 1;
	i->modrm = (u8)v;
	i->mod = i->modrm >> 6;
	rm3 = i->modrm & 7;
	i->regop = ((i->modrm >> 3) & 7) | ((i->rex & X86EMU_REX_R) ? 8 : 0);
	i->rm = rm3 | ((i->rex & X86EMU_REX_B) ? 8 : 0);
	if (i->mod == 3)
		return -1;	/* register operand: nothing to emulate */

	if (i->addr_size == 2) {
		if (i->mod == 1)
			i->disp_size = 1;
		else if (i->mod == 2 || (i->mod == 0 && rm3 == 6))
			i->disp_size = 2;
	} else {
		if (rm3 == 4) {
			if (fetch(b, lim, pos, 1, &v))
				return -1;
			i->has_sib = 1;
			i->sib = (u8)v;
			if (i->mod == 0 && (i->sib & 7) == 5)
				i->disp_size = 4;
		}
		if (i->mod == 1)
			i->disp_size = 1;
		else if (i->mod == 2 || (i->mod == 0 && rm3 == 5))
			i->disp_size = 4;
	}
	if (i->disp_size) {
		if (fetch(b, lim, pos, i->disp_size, &v))
			return -1;
		i->disp = (s32)sext(v, i->disp_size);
	}
	return 0;
}

/* Immediate of n bytes, sign-extended to op_size. */
static int decode_imm(const u8 *b, unsigned int lim, unsigned int *pos,
		      struct x86emu_insn *i, unsigned int n)
{
	u64 v;

	if (fetch(b, lim, pos, n, &v))
		return -1;
	i->has_imm = 1;
	i->imm_size = (u8)n;
	i->imm = sext(v, n) & size_mask(i->op_size);
	return 0;
}

/* "iz": 16 bits for a 16-bit operand, else 32 (sign-extended for 64). */
static unsigned int imm_z(const struct x86emu_insn *i)
{
	return i->op_size == 2 ? 2 : 4;
}

int x86emu_decode(const u8 *bytes, unsigned int avail, enum x86emu_mode mode,
		  struct x86emu_insn *insn)
{
	struct x86emu_insn *i = insn;
	unsigned int lim, pos, osz, n;
	bool long64 = mode == X86EMU_MODE_LONG64;
	bool lock_ok = false;
	u8 b = 0;
	u64 v;

	if (!insn)
		return -1;
	memset(i, 0, sizeof(*i));
	i->seg = -1;
	if (!bytes || (unsigned int)mode > X86EMU_MODE_LONG64)
		return -1;
	i->mode = (u8)mode;
	lim = avail < X86EMU_MAX_INSN_LEN ? avail : X86EMU_MAX_INSN_LEN;

	/* Prefixes; a REX counts only directly before the opcode. */
	for (pos = 0; pos < lim; pos++) {
		b = bytes[pos];
		if (long64 && (b & 0xf0) == 0x40) {
			i->rex = b;
			continue;
		}
		switch (b) {
		case 0x66: i->prefixes |= X86EMU_PFX_OPSIZE; break;
		case 0x67: i->prefixes |= X86EMU_PFX_ADSIZE; break;
		case 0xf0: i->prefixes |= X86EMU_PFX_LOCK; break;
		case 0xf2:
			i->prefixes = (i->prefixes & ~X86EMU_PFX_REP) | X86EMU_PFX_REPNE;
			break;
		case 0xf3:
			i->prefixes = (i->prefixes & ~X86EMU_PFX_REPNE) | X86EMU_PFX_REP;
			break;
		case 0x26: i->seg = X86EMU_ES; break;
		case 0x2e: i->seg = X86EMU_CS; break;
		case 0x36: i->seg = X86EMU_SS; break;
		case 0x3e: i->seg = X86EMU_DS; break;
		case 0x64: i->seg = X86EMU_FS; break;
		case 0x65: i->seg = X86EMU_GS; break;
		default:
			goto opcode;
		}
		i->rex = 0;
	}
	return -1;	/* only prefixes: truncated or too long */

opcode:
	pos++;		/* past the opcode byte b */
	i->opcode = b;

	/* operand and address size */
	if (mode == X86EMU_MODE_PROT32 || long64)
		osz = (i->prefixes & X86EMU_PFX_OPSIZE) ? 2 : 4;
	else
		osz = (i->prefixes & X86EMU_PFX_OPSIZE) ? 4 : 2;
	if (i->rex & X86EMU_REX_W)
		osz = 8;
	if (long64)
		i->addr_size = (i->prefixes & X86EMU_PFX_ADSIZE) ? 4 : 8;
	else if (mode == X86EMU_MODE_PROT32)
		i->addr_size = (i->prefixes & X86EMU_PFX_ADSIZE) ? 2 : 4;
	else
		i->addr_size = (i->prefixes & X86EMU_PFX_ADSIZE) ? 4 : 2;

	if (b < 0x40 && (b & 7) < 4) {
		/* 00-03 ... 38-3B: ALU r/m,r and r,r/m */
		i->kind = X86EMU_K_ALU;
		i->alu = b >> 3;
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->reg_dst = (b & 2) ? 1 : 0;
		i->mem_read = 1;
		i->mem_write = !i->reg_dst && i->alu != X86EMU_ALU_CMP;
		lock_ok = i->mem_write;
		if (decode_modrm(bytes, lim, &pos, i))
			return -1;
		goto done;
	}

	switch (b) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->reg_dst = (b & 2) ? 1 : 0;
		i->kind = i->reg_dst ? X86EMU_K_MOV_LOAD : X86EMU_K_MOV_STORE;
		if (decode_modrm(bytes, lim, &pos, i))
			return -1;
		break;
	case 0xc6: case 0xc7:
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->kind = X86EMU_K_MOV_STORE;
		if (decode_modrm(bytes, lim, &pos, i) || (i->modrm & 0x38))
			return -1;
		i->regop = 0;
		if (decode_imm(bytes, lim, &pos, i, (b & 1) ? imm_z(i) : 1))
			return -1;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->kind = (b & 2) ? X86EMU_K_MOV_STORE : X86EMU_K_MOV_LOAD;
		i->reg_dst = (b & 2) ? 0 : 1;
		i->regop = X86EMU_RAX;
		if (fetch(bytes, lim, &pos, i->addr_size, &v))
			return -1;
		i->moffs = v;
		break;
	case 0x63:
		if (!long64)
			return -1;	/* ARPL */
		i->reg_dst = 1;
		if (i->rex & X86EMU_REX_W) {
			i->kind = X86EMU_K_MOVSX;
			i->op_size = 4;
		} else {
			i->kind = X86EMU_K_MOV_LOAD;
			i->op_size = (u8)osz;
		}
		if (decode_modrm(bytes, lim, &pos, i))
			return -1;
		break;
	case 0xaa: case 0xab:
	case 0xa4: case 0xa5:
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->kind = (b & 0xfe) == 0xaa ? X86EMU_K_STOS : X86EMU_K_MOVS;
		i->regop = X86EMU_RAX;
		i->rep = (i->prefixes & (X86EMU_PFX_REP | X86EMU_PFX_REPNE)) ? 1 : 0;
		break;
	case 0x80: case 0x81: case 0x83:
		i->op_size = (b == 0x80) ? 1 : (u8)osz;
		i->kind = X86EMU_K_ALU;
		if (decode_modrm(bytes, lim, &pos, i))
			return -1;
		i->alu = (i->modrm >> 3) & 7;
		i->regop = 0;
		i->mem_write = i->alu != X86EMU_ALU_CMP;
		lock_ok = i->mem_write;
		if (decode_imm(bytes, lim, &pos, i, b == 0x81 ? imm_z(i) : 1))
			return -1;
		break;
	case 0x84: case 0x85:
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->kind = X86EMU_K_TEST;
		if (decode_modrm(bytes, lim, &pos, i))
			return -1;
		break;
	case 0xf6: case 0xf7:
		i->op_size = (b & 1) ? (u8)osz : 1;
		i->kind = X86EMU_K_TEST;
		if (decode_modrm(bytes, lim, &pos, i) || (i->modrm & 0x38))
			return -1;
		i->regop = 0;
		if (decode_imm(bytes, lim, &pos, i, (b & 1) ? imm_z(i) : 1))
			return -1;
		break;
	case 0x0f:
		if (fetch(bytes, lim, &pos, 1, &v))
			return -1;
		b = (u8)v;
		i->two_byte = 1;
		i->opcode = b;
		switch (b) {
		case 0xb6: case 0xb7: case 0xbe: case 0xbf:
			i->kind = (b & 8) ? X86EMU_K_MOVSX : X86EMU_K_MOVZX;
			i->op_size = (b & 1) ? 2 : 1;
			i->reg_dst = 1;
			if (decode_modrm(bytes, lim, &pos, i))
				return -1;
			break;
		case 0xba:
			i->kind = X86EMU_K_BT;
			i->op_size = (u8)osz;
			if (decode_modrm(bytes, lim, &pos, i))
				return -1;
			i->alu = (i->modrm >> 3) & 7;
			if (i->alu < 4)
				return -1;
			i->regop = 0;
			i->mem_write = i->alu != 4;
			lock_ok = i->mem_write;
			if (fetch(bytes, lim, &pos, 1, &v))
				return -1;
			i->has_imm = 1;
			i->imm_size = 1;
			i->imm = v;
			break;
		default:
			return -1;
		}
		break;
	default:
		return -1;
	}

done:
	if ((i->prefixes & X86EMU_PFX_LOCK) && !lock_ok)
		return -1;
	/* sizes of the register side */
	if (i->kind == X86EMU_K_MOVZX || i->kind == X86EMU_K_MOVSX)
		i->reg_size = (u8)osz;
	else
		i->reg_size = i->op_size;
	switch (i->kind) {
	case X86EMU_K_MOV_STORE:
		i->mem_write = 1;
		break;
	case X86EMU_K_MOV_LOAD:
	case X86EMU_K_MOVZX:
	case X86EMU_K_MOVSX:
	case X86EMU_K_TEST:
	case X86EMU_K_BT:
	case X86EMU_K_ALU:
		i->mem_read = 1;
		break;
	case X86EMU_K_STOS:
		i->mem_write = 1;
		break;
	case X86EMU_K_MOVS:
		i->mem_read = 1;
		i->mem_write = 1;
		break;
	default:
		return -1;
	}
	n = pos;
	if (n > lim)
		return -1;
	i->len = (u8)n;
	return 0;
}

/* ---- execution ---- */

static u64 get_reg(const struct x86emu_ctxt *c, unsigned int idx,
		   unsigned int size)
{
	const u64 *g = c->regs->gpr;

	idx &= 15;
	if (size == 1 && !c->insn.rex && idx >= 4 && idx < 8)
		return (g[idx - 4] >> 8) & 0xff;	/* AH CH DH BH */
	return g[idx] & size_mask(size);
}

static void set_reg(struct x86emu_ctxt *c, unsigned int idx,
		    unsigned int size, u64 val)
{
	u64 *g = c->regs->gpr;

	idx &= 15;
	if (size == 1 && !c->insn.rex && idx >= 4 && idx < 8) {
		g[idx - 4] = (g[idx - 4] & ~0xff00ULL) | ((val & 0xff) << 8);
	} else if (size == 8 || (size == 4 && c->mode == X86EMU_MODE_LONG64)) {
		g[idx] = val & size_mask(size);
	} else {
		g[idx] = (g[idx] & ~size_mask(size)) | (val & size_mask(size));
	}
}

/* Register that is an address-size counter/index (rCX, rSI, rDI). */
static u64 get_areg(const struct x86emu_ctxt *c, unsigned int idx)
{
	return c->regs->gpr[idx] & size_mask(c->insn.addr_size);
}

static void set_areg(struct x86emu_ctxt *c, unsigned int idx, u64 val)
{
	set_reg(c, idx, c->insn.addr_size, val);
}

static unsigned int parity_even(u64 v)
{
	v &= 0xff;
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/*
 * dst op src at size; *res gets the result, returns the new arithmetic
 * flags (CF PF AF ZF SF OF).  Logic ops clear CF, OF and AF.
 */
static u64 alu(unsigned int op, unsigned int size, u64 a, u64 b, bool cf_in,
	       u64 *res)
{
	u64 m = size_mask(size), sb = sign_bit(size);
	u64 r, fl = 0;
	bool cf = false, of = false, af = false;

	a &= m;
	b &= m;
	switch (op) {
	case X86EMU_ALU_ADD:
	case X86EMU_ALU_ADC:
		r = (a + b + (op == X86EMU_ALU_ADC && cf_in)) & m;
		cf = (op == X86EMU_ALU_ADC && cf_in) ? r <= a : r < a;
		of = (a ^ r) & (b ^ r) & sb;
		af = (a ^ b ^ r) & 0x10;
		break;
	case X86EMU_ALU_SUB:
	case X86EMU_ALU_SBB:
	case X86EMU_ALU_CMP:
		r = (a - b - (op == X86EMU_ALU_SBB && cf_in)) & m;
		cf = (op == X86EMU_ALU_SBB && cf_in) ? a <= b : a < b;
		of = (a ^ b) & (a ^ r) & sb;
		af = (a ^ b ^ r) & 0x10;
		break;
	case X86EMU_ALU_OR:
		r = a | b;
		break;
	case X86EMU_ALU_XOR:
		r = a ^ b;
		break;
	case X86EMU_ALU_AND:
	default:
		r = a & b;
		break;
	}
	if (cf)
		fl |= X86EMU_FL_CF;
	if (parity_even(r))
		fl |= X86EMU_FL_PF;
	if (af)
		fl |= X86EMU_FL_AF;
	if (!r)
		fl |= X86EMU_FL_ZF;
	if (r & sb)
		fl |= X86EMU_FL_SF;
	if (of)
		fl |= X86EMU_FL_OF;
	*res = r;
	return fl;
}

static void put_mmio(struct x86emu_ctxt *c, u64 val)
{
	unsigned int k;

	memset(c->mmio_data, 0, sizeof(c->mmio_data));
	for (k = 0; k < c->mmio_len && k < sizeof(c->mmio_data); k++)
		c->mmio_data[k] = (u8)(val >> (8 * k));
}

static u64 get_le(const u8 *p, unsigned int len)
{
	u64 v = 0;
	unsigned int k;

	for (k = 0; k < len && k < 8; k++)
		v |= (u64)p[k] << (8 * k);
	return v;
}

static u64 seg_base(const struct x86emu_ctxt *c, int seg)
{
	if (c->mode == X86EMU_MODE_LONG64 && seg != X86EMU_FS && seg != X86EMU_GS)
		return 0;
	if (!c->ops || !c->ops->seg_base)
		return 0;
	return c->ops->seg_base(c->opaque, seg);
}

static u64 linear(const struct x86emu_ctxt *c, int seg, unsigned int reg)
{
	u64 la = seg_base(c, seg) + get_areg(c, reg);

	if (c->mode != X86EMU_MODE_LONG64)
		la &= 0xffffffffULL;
	return la;
}

/* MOVS RAM-side operands */
static u64 movs_src_la(const struct x86emu_ctxt *c)
{
	return linear(c, c->insn.seg >= 0 ? c->insn.seg : X86EMU_DS, X86EMU_RSI);
}

static u64 movs_dst_la(const struct x86emu_ctxt *c)
{
	return linear(c, X86EMU_ES, X86EMU_RDI);
}

static void advance_rip(struct x86emu_ctxt *c)
{
	u64 rip = c->regs->rip + c->insn.len;

	if (c->mode == X86EMU_MODE_LONG64)
		c->regs->rip = rip;
	else if (c->mode == X86EMU_MODE_PROT32)
		c->regs->rip = rip & 0xffffffffULL;
	else
		c->regs->rip = rip & 0xffffULL;
}

/* Commit flags, step string registers (if an element was moved), advance RIP. */
static enum x86emu_step finish_el(struct x86emu_ctxt *c, bool element)
{
	const struct x86emu_insn *i = &c->insn;
	bool more = false;

	if (c->flags_pending)
		c->regs->rflags = (c->regs->rflags & ~X86EMU_FL_ARITH) |
				  (c->new_rflags & X86EMU_FL_ARITH);
	if (element && (i->kind == X86EMU_K_STOS || i->kind == X86EMU_K_MOVS)) {
		u64 d = (c->regs->rflags & X86EMU_FL_DF) ? -(u64)i->op_size : i->op_size;

		set_areg(c, X86EMU_RDI, get_areg(c, X86EMU_RDI) + d);
		if (i->kind == X86EMU_K_MOVS)
			set_areg(c, X86EMU_RSI, get_areg(c, X86EMU_RSI) + d);
		if (i->rep) {
			u64 cnt = get_areg(c, X86EMU_RCX) - 1;

			set_areg(c, X86EMU_RCX, cnt);
			more = (cnt & size_mask(i->addr_size)) != 0;
		}
	}
	if (!more)
		advance_rip(c);
	c->state = ST_IDLE;
	c->flags_pending = false;
	return X86EMU_DONE;
}

static enum x86emu_step finish(struct x86emu_ctxt *c)
{
	return finish_el(c, true);
}

static enum x86emu_step fail(struct x86emu_ctxt *c)
{
	c->state = ST_IDLE;
	c->flags_pending = false;
	return X86EMU_FAIL;
}

static enum x86emu_step want_write(struct x86emu_ctxt *c, u64 val)
{
	c->mmio_len = c->insn.op_size;
	put_mmio(c, val);
	c->state = ST_WAIT_WRITE;
	return X86EMU_MMIO_WRITE;
}

static enum x86emu_step want_read(struct x86emu_ctxt *c)
{
	c->mmio_len = c->insn.op_size;
	memset(c->mmio_data, 0, sizeof(c->mmio_data));
	c->state = ST_WAIT_READ;
	return X86EMU_MMIO_READ;
}

enum x86emu_step x86emu_start(struct x86emu_ctxt *c)
{
	const struct x86emu_insn *i;
	u8 buf[8];

	if (!c)
		return X86EMU_FAIL;
	i = &c->insn;
	c->fault = false;
	c->fault_la = 0;
	c->flags_pending = false;
	c->state = ST_IDLE;
	c->mmio_len = 0;
	if (!c->regs || i->kind == X86EMU_K_INVALID || i->mode != (u8)c->mode ||
	    (i->op_size != 1 && i->op_size != 2 && i->op_size != 4 && i->op_size != 8))
		return X86EMU_FAIL;

	switch (i->kind) {
	case X86EMU_K_MOV_STORE:
		return want_write(c, i->has_imm ? i->imm : get_reg(c, i->regop, i->op_size));
	case X86EMU_K_STOS:
		if (i->rep && !get_areg(c, X86EMU_RCX))
			return finish_el(c, false);
		return want_write(c, get_reg(c, X86EMU_RAX, i->op_size));
	case X86EMU_K_MOVS:
		if (i->rep && !get_areg(c, X86EMU_RCX))
			return finish_el(c, false);
		if (!c->mmio_is_dest)
			return want_read(c);
		if (!c->ops || !c->ops->read_mem)
			return fail(c);
		memset(buf, 0, sizeof(buf));
		if (c->ops->read_mem(c->opaque, movs_src_la(c), buf, i->op_size)) {
			c->fault = true;
			c->fault_la = movs_src_la(c);
			return fail(c);
		}
		return want_write(c, get_le(buf, i->op_size));
	case X86EMU_K_MOV_LOAD:
	case X86EMU_K_MOVZX:
	case X86EMU_K_MOVSX:
	case X86EMU_K_ALU:
	case X86EMU_K_TEST:
	case X86EMU_K_BT:
		return want_read(c);
	default:
		return fail(c);
	}
}

static enum x86emu_step complete_read(struct x86emu_ctxt *c, u64 val)
{
	const struct x86emu_insn *i = &c->insn;
	unsigned int size = i->op_size;
	u64 src, res, fl, bit;
	unsigned int k;
	u8 buf[8];

	switch (i->kind) {
	case X86EMU_K_MOV_LOAD:
		set_reg(c, i->regop, i->reg_size, val);
		return finish(c);
	case X86EMU_K_MOVZX:
		set_reg(c, i->regop, i->reg_size, val);
		return finish(c);
	case X86EMU_K_MOVSX:
		set_reg(c, i->regop, i->reg_size, sext(val, size));
		return finish(c);
	case X86EMU_K_MOVS:
		if (!c->ops || !c->ops->write_mem)
			return fail(c);
		for (k = 0; k < sizeof(buf); k++)
			buf[k] = (u8)(val >> (8 * k));
		if (c->ops->write_mem(c->opaque, movs_dst_la(c), buf, size)) {
			c->fault = true;
			c->fault_la = movs_dst_la(c);
			return fail(c);
		}
		return finish(c);
	case X86EMU_K_ALU:
		src = i->has_imm ? i->imm : get_reg(c, i->regop, size);
		if (i->reg_dst)	/* reg = reg op mem */
			fl = alu(i->alu, size, src, val, c->regs->rflags & X86EMU_FL_CF, &res);
		else		/* mem = mem op src */
			fl = alu(i->alu, size, val, src, c->regs->rflags & X86EMU_FL_CF, &res);
		c->new_rflags = fl;
		c->flags_pending = true;
		if (i->alu == X86EMU_ALU_CMP)
			return finish(c);
		if (i->reg_dst) {
			set_reg(c, i->regop, size, res);
			return finish(c);
		}
		return want_write(c, res);
	case X86EMU_K_TEST:
		src = i->has_imm ? i->imm : get_reg(c, i->regop, size);
		c->new_rflags = alu(X86EMU_ALU_AND, size, val, src, false, &res);
		c->flags_pending = true;
		return finish(c);
	case X86EMU_K_BT:
		bit = i->imm & (size * 8 - 1);
		/* only CF changes; the other arithmetic flags are kept */
		c->new_rflags = (c->regs->rflags & ~X86EMU_FL_CF) |
				(((val >> bit) & 1) ? X86EMU_FL_CF : 0);
		c->flags_pending = true;
		switch (i->alu) {
		case 5: res = val | (1ULL << bit); break;
		case 6: res = val & ~(1ULL << bit); break;
		case 7: res = val ^ (1ULL << bit); break;
		default: return finish(c);
		}
		return want_write(c, res);
	default:
		return fail(c);
	}
}

enum x86emu_step x86emu_complete(struct x86emu_ctxt *c, const u8 *read_data)
{
	if (!c || !c->regs)
		return X86EMU_FAIL;
	switch (c->state) {
	case ST_WAIT_READ:
		if (!read_data || c->mmio_len != c->insn.op_size)
			return fail(c);
		return complete_read(c, get_le(read_data, c->mmio_len));
	case ST_WAIT_WRITE:
		return finish(c);
	default:
		return fail(c);
	}
}
