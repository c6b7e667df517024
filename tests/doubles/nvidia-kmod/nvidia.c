// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TEST DOUBLE of NVIDIA's kernel module (passthrough.nvidia tests).
 *
 * A real, small Linux module that the test repository's nvidia-kernel-dkms and
 * nvidia-kernel-open-dkms packages ship as DKMS source, so that DKMS really builds it, per
 * kernel, against Debian's kernel headers, as it builds NVIDIA's, and so that a guest without
 * an NVIDIA GPU can really load it. It drives no GPU: it registers no PCI driver and touches no
 * hardware. What it shows follows NVIDIA's module:
 *  - /sys/module/nvidia/version is the driver version (MODULE_VERSION), as on a real guest
 *    (tests/unit/fixtures/real/h100-580/sys_version.stdout: "580.159.04");
 *  - /proc/driver/nvidia/version reads "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64
 *    <version>  Release Build  (<builder>)  " then "GCC version:  <compiler>" for the open
 *    modules (tests/unit/fixtures/real/h100-580/proc_version.stdout) and "NVRM version: NVIDIA
 *    UNIX x86_64 Kernel Module  <version>  <date>" for the proprietary ones (the 535 banner in
 *    tests/unit/fixtures/dmesg/);
 *  - loading it logs "NVRM: loading <the same banner>" (the real kernel logs in
 *    tests/unit/fixtures/dmesg/).
 * NV_DOUBLE_VERSION and NV_DOUBLE_OPEN come from nv-double.h, which the package writes
 * (tests/repo/build_repo.py).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "nv-double.h"

#ifndef NV_DOUBLE_VERSION
#error "nv-double.h must define NV_DOUBLE_VERSION"
#endif

#if NV_DOUBLE_OPEN
#define NV_DOUBLE_BANNER "NVIDIA UNIX Open Kernel Module for x86_64  " NV_DOUBLE_VERSION \
	"  Release Build  (passthrough.nvidia TEST DOUBLE)  "
#else
#define NV_DOUBLE_BANNER "NVIDIA UNIX x86_64 Kernel Module  " NV_DOUBLE_VERSION \
	"  (passthrough.nvidia TEST DOUBLE)"
#endif

/* The compiler that built this module, as the real file names it ("gcc version 12.2.0 ..."). */
#define NV_DOUBLE_COMPILER "gcc version " __VERSION__

static struct proc_dir_entry *nv_double_dir;

static int nv_double_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "NVRM version: %s\n", NV_DOUBLE_BANNER);
	seq_printf(m, "GCC version:  %s\n", NV_DOUBLE_COMPILER);
	return 0;
}

static int __init nv_double_init(void)
{
	nv_double_dir = proc_mkdir("driver/nvidia", NULL);
	if (!nv_double_dir)
		return -ENOMEM;
	if (!proc_create_single("version", 0444, nv_double_dir, nv_double_version_show)) {
		proc_remove(nv_double_dir);
		return -ENOMEM;
	}
	pr_info("NVRM: loading %s\n", NV_DOUBLE_BANNER);
	return 0;
}

static void __exit nv_double_exit(void)
{
	proc_remove(nv_double_dir);
}

module_init(nv_double_init);
module_exit(nv_double_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST DOUBLE of NVIDIA's kernel module (passthrough.nvidia); drives no GPU");
MODULE_VERSION(NV_DOUBLE_VERSION);
