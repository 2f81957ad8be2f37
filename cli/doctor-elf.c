/* doctor-elf.c - read a Dovecot module's ABI string without loading it.
 * dlopen() is no way: the passdb module needs symbols only Dovecot's auth
 * binary has (RTLD_LAZY does not defer data references), and loading it
 * would run its code as root.  So the file is read as ELF64: the exported
 * `const char *NAME_version` is found in .dynsym, the address it holds is
 * the addend of its RELATIVE relocation (or, without one, the word stored
 * there), and that address is mapped back to the string in the file. */
#include "doctor.h"

#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ELF_MAX_SIZE (256u << 20)

struct elf_file {
	unsigned char *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
};

static int elf_load(const char *path, struct elf_file *f, char *err, size_t err_size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	memset(f, 0, sizeof(*f));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(Elf64_Ehdr) || st.st_size > (off_t)ELF_MAX_SIZE) {
		snprintf(err, err_size, "%s: not a readable shared object", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f->size = (size_t)st.st_size;
	f->data = malloc(f->size);
	if (f->data != NULL)
		n = pread(fd, f->data, f->size, 0);
	close(fd);
	if (n != (ssize_t)f->size) {
		snprintf(err, err_size, "%s: read failed", path);
		return -1;
	}
	return 0;
}

static int elf_check(const char *path, struct elf_file *f, char *err, size_t err_size)
{
	f->eh = (const Elf64_Ehdr *)f->data;
	if (memcmp(f->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    f->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    f->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    f->eh->e_shoff > f->size ||
	    f->eh->e_shnum > (f->size - f->eh->e_shoff) / sizeof(Elf64_Shdr)) {
		snprintf(err, err_size, "%s: not a 64-bit ELF file", path);
		return -1;
	}
	f->sh = (const Elf64_Shdr *)(f->data + f->eh->e_shoff);
	return 0;
}

/* Section I's bytes, or NULL if they lie outside the file. */
static const void *section_data(const struct elf_file *f, unsigned int i, size_t *size_r)
{
	const Elf64_Shdr *s = &f->sh[i];

	if (i >= f->eh->e_shnum || s->sh_type == SHT_NOBITS ||
	    s->sh_offset > f->size || s->sh_size > f->size - s->sh_offset)
		return NULL;
	*size_r = s->sh_size;
	return f->data + s->sh_offset;
}

/* File offset of virtual address ADDR with at least NEED bytes after it. */
static int addr_to_offset(const struct elf_file *f, uint64_t addr, size_t need, size_t *off_r)
{
	for (unsigned int i = 0; i < f->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];
		size_t size;

		if ((s->sh_flags & SHF_ALLOC) == 0 || addr < s->sh_addr ||
		    addr - s->sh_addr >= s->sh_size || section_data(f, i, &size) == NULL ||
		    size - (addr - s->sh_addr) < need)
			continue;
		*off_r = s->sh_offset + (addr - s->sh_addr);
		return 0;
	}
	return -1;
}

/* The address of the exported symbol NAME, from .dynsym. */
static int find_symbol(const struct elf_file *f, const char *name, uint64_t *addr_r)
{
	for (unsigned int i = 0; i < f->eh->e_shnum; i++) {
		const Elf64_Sym *syms;
		const char *strs;
		size_t size, str_size;

		if (f->sh[i].sh_type != SHT_DYNSYM ||
		    (syms = section_data(f, i, &size)) == NULL ||
		    (strs = section_data(f, f->sh[i].sh_link, &str_size)) == NULL)
			continue;
		for (size_t k = 0; k < size / sizeof(Elf64_Sym); k++) {
			uint32_t at = syms[k].st_name;

			if (syms[k].st_shndx != SHN_UNDEF && at < str_size &&
			    strnlen(strs + at, str_size - at) < str_size - at &&
			    strcmp(strs + at, name) == 0) {
				*addr_r = syms[k].st_value;
				return 0;
			}
		}
	}
	return -1;
}

/* What the pointer at ADDR will hold once loaded: a RELATIVE relocation's
 * addend (no symbol), else the word in the file. */
static int pointer_value(const struct elf_file *f, uint64_t addr, uint64_t *value_r)
{
	size_t off;

	for (unsigned int i = 0; i < f->eh->e_shnum; i++) {
		const Elf64_Rela *r;
		size_t size;

		if (f->sh[i].sh_type != SHT_RELA || (r = section_data(f, i, &size)) == NULL)
			continue;
		for (size_t k = 0; k < size / sizeof(Elf64_Rela); k++) {
			if (r[k].r_offset == addr && ELF64_R_SYM(r[k].r_info) == 0) {
				*value_r = (uint64_t)r[k].r_addend;
				return 0;
			}
		}
	}
	if (addr_to_offset(f, addr, sizeof(uint64_t), &off) < 0)
		return -1;
	memcpy(value_r, f->data + off, sizeof(uint64_t));
	return 0;
}

static void copy_string(const struct elf_file *f, size_t off, char *out, size_t out_size)
{
	size_t len = strnlen((const char *)f->data + off, f->size - off);

	if (len >= out_size)
		len = out_size - 1;
	memcpy(out, f->data + off, len);
	out[len] = '\0';
}

int doctor_elf_string(const char *path, const char *symbol, char *out, size_t out_size,
		      char *err, size_t err_size)
{
	struct elf_file f;
	uint64_t addr, value;
	size_t off;
	int ret = -1;

	if (elf_load(path, &f, err, err_size) == 0 && elf_check(path, &f, err, err_size) == 0) {
		if (find_symbol(&f, symbol, &addr) < 0)
			snprintf(err, err_size, "%s exports no %s", path, symbol);
		else if (pointer_value(&f, addr, &value) < 0 ||
			 addr_to_offset(&f, value, 1, &off) < 0)
			snprintf(err, err_size, "%s: %s points outside the file", path, symbol);
		else {
			copy_string(&f, off, out, out_size);
			ret = 0;
		}
	}
	free(f.data);
	return ret;
}

/* Is S (NUL-terminated, inside the file) shaped "N.N.ABIvN(...)"? */
static int is_abi_string(const char *s)
{
	const char *abi = strstr(s, ".ABIv");
	size_t len = strlen(s);

	return s[0] >= '0' && s[0] <= '9' && abi != NULL && strchr(abi, '(') != NULL &&
		len < 64 && s[len - 1] == ')';
}

int doctor_elf_abi(const char *path, char *out, size_t out_size, char *err, size_t err_size)
{
	struct elf_file f;
	int ret = -1;

	/* libdovecot exports no symbol for it: its one string of this shape
	   is what module_dir_load() compares each module's NAME_version to */
	if (elf_load(path, &f, err, err_size) == 0) {
		for (size_t i = 0; i + 1 < f.size && ret < 0; i++) {
			const char *s = (const char *)f.data + i;

			if ((i == 0 || f.data[i - 1] == '\0') && f.data[i] != '\0' &&
			    memchr(s, '\0', f.size - i) != NULL && is_abi_string(s)) {
				copy_string(&f, i, out, out_size);
				ret = 0;
			}
		}
		if (ret < 0)
			snprintf(err, err_size, "%s: no Dovecot ABI version string in it", path);
	}
	free(f.data);
	return ret;
}
