/*
 * TEST DOUBLE of NVIDIA's libcuda.so.1 (the CUDA driver API), for machines without an NVIDIA GPU.
 *
 * It exports the driver-API calls passthrough.nvidia.cuda_probe makes, with NVIDIA's signatures
 * and CUresult codes (cuda.h of CUDA 13.5, nvidia-cuda-runtime 13.5.37), and answers as the real
 * library does on an H100 with driver 580 (the GPU of tests/unit/fixtures/real/h100-580/: name,
 * PCI address, compute capability 9.0, CUDA 13.0 driver API). It "runs" exactly one kernel: the
 * probe's passthrough_probe (out[i] = in[i] * 3 + i), which it computes on the CPU; any other PTX
 * it refuses with CUDA_ERROR_INVALID_PTX (218) because it has no JIT compiler.
 *
 * The state it plays is the first of: $LIBCUDA_DOUBLE_STATE, the first word of
 * /etc/libcuda-double/state, or what the nvidia-smi double's state means for CUDA (read as that
 * double reads it: $NVIDIA_SMI_DOUBLE_STATE / _GPUS / _BUS, else /etc/nvidia-smi-double/state:
 * state, GPU count, PCI address of GPU 0), so that one state file makes both doubles tell the
 * same story:
 *   ok          every GPU runs the kernel correctly (nvidia-smi states healthy and the like)
 *   wrong       the last GPU returns one wrong value (a bit flipped, as faulty memory does)
 *   ecc         cuCtxSynchronize returns CUDA_ERROR_ECC_UNCORRECTABLE (214) after the launch
 *               (smi ecc_errors, remap_failure: NVIDIA's cuda.h: "an uncorrectable ECC error
 *               was detected during execution")
 *   no_device   cuInit returns CUDA_ERROR_NO_DEVICE (100) (smi driver_not_loaded, no_devices,
 *               no_permission: the driver library finds no usable /dev/nvidia*)
 *   unknown     cuInit returns CUDA_ERROR_UNKNOWN (999) (smi gpu_lost: what CUDA applications
 *               report for a GPU that fell off the bus, proteneer/timemachine#1203 "Adds
 *               cudaErrorUnknown to list of invalid hardware errors ... Handle gpu fell off bus")
 *   one_lost    the last GPU's context fails with 999, the others run (smi one_lost)
 *   mismatch    cuInit returns CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803) (smi version_mismatch)
 *   not_ready   cuInit returns CUDA_ERROR_SYSTEM_NOT_READY (802): an NVSwitch system without
 *               Fabric Manager (aws-samples/aws-deep-learning-ami-ubuntu-dcv-desktop#33 "CUDA
 *               initialization fails with 802 ... owing to lack of nvidia-fabricmanager";
 *               jax-ml/jax#34113; pytorch/pytorch#35710)
 *   hang        cuInit never returns (smi hang)
 *   launch_hang cuCtxSynchronize never returns (a kernel on a hung GPU)
 *   crash       cuModuleLoadData dies with SIGSEGV (a broken driver library)
 *   old         cuModuleLoadData returns CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)
 * Build: gcc -shared -fPIC -O2 -o libcuda.so.1 tests/doubles/libcuda-double.c
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

#define SMI_STATE "/etc/nvidia-smi-double/state"
#define CUDA_STATE "/etc/libcuda-double/state"

static char state[32] = "ok";
static int ngpu = 1;
static int gpu0_domain = 0, gpu0_bus = 0, gpu0_dev = 6, gpu0_fn = 0;
static int initialised = 0;
static int current = -1;
static CUresult pending = 0;
static const char *probe_module = "passthrough_probe module";
static const char *probe_function = "passthrough_probe";

static int read_words(const char *path, char words[3][32]) {
    FILE *f = fopen(path, "r");
    int n = 0;
    if (!f)
        return 0;
    while (n < 3 && fscanf(f, "%31s", words[n]) == 1)
        n++;
    fclose(f);
    return n;
}

static const char *smi_word(char words[3][32], int n, int i, const char *env) {
    const char *e = getenv(env); /* as the nvidia-smi double: its variables first, then its file */
    if (e && *e)
        return e;
    return i < n ? words[i] : NULL;
}

static void load_state(void) {
    char smi[3][32], cuda[3][32];
    int ns = read_words(SMI_STATE, smi), nc;
    const char *env = getenv("LIBCUDA_DOUBLE_STATE");
    const char *m = smi_word(smi, ns, 0, "NVIDIA_SMI_DOUBLE_STATE");
    const char *gpus = smi_word(smi, ns, 1, "NVIDIA_SMI_DOUBLE_GPUS");
    const char *bus = smi_word(smi, ns, 2, "NVIDIA_SMI_DOUBLE_BUS");
    const char *s = "ok";
    if (m) {
        if (!strcmp(m, "ecc_errors") || !strcmp(m, "remap_failure"))
            s = "ecc";
        else if (!strcmp(m, "driver_not_loaded") || !strcmp(m, "no_devices") || !strcmp(m, "no_permission"))
            s = "no_device";
        else if (!strcmp(m, "gpu_lost"))
            s = "unknown";
        else if (!strcmp(m, "one_lost"))
            s = "one_lost";
        else if (!strcmp(m, "version_mismatch"))
            s = "mismatch";
        else if (!strcmp(m, "hang"))
            s = "hang";
    }
    if (gpus)
        ngpu = atoi(gpus);
    if (bus)
        sscanf(bus, "%x:%x:%x.%x", &gpu0_domain, &gpu0_bus, &gpu0_dev, &gpu0_fn);
    nc = read_words(CUDA_STATE, cuda);
    if (nc > 0)
        s = cuda[0];
    if (env && *env)
        s = env;
    snprintf(state, sizeof state, "%s", s);
}

static int is(const char *s) { return strcmp(state, s) == 0; }

static void forever(void) {
    for (;;)
        pause();
}

CUresult cuGetErrorName(CUresult e, const char **name) {
    static const struct { int code; const char *name; } names[] = {
        {0, "CUDA_SUCCESS"}, {1, "CUDA_ERROR_INVALID_VALUE"}, {3, "CUDA_ERROR_NOT_INITIALIZED"},
        {100, "CUDA_ERROR_NO_DEVICE"}, {101, "CUDA_ERROR_INVALID_DEVICE"}, {201, "CUDA_ERROR_INVALID_CONTEXT"},
        {214, "CUDA_ERROR_ECC_UNCORRECTABLE"}, {218, "CUDA_ERROR_INVALID_PTX"},
        {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"}, {500, "CUDA_ERROR_NOT_FOUND"},
        {802, "CUDA_ERROR_SYSTEM_NOT_READY"}, {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"}, {999, "CUDA_ERROR_UNKNOWN"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == e) {
            *name = names[i].name;
            return 0;
        }
    *name = NULL;
    return 1; /* CUDA_ERROR_INVALID_VALUE, as the real one for an unknown code */
}

CUresult cuInit(unsigned int flags) {
    if (flags != 0)
        return 1;
    load_state();
    if (is("hang"))
        forever();
    if (is("no_device"))
        return 100;
    if (is("unknown"))
        return 999;
    if (is("mismatch"))
        return 803;
    if (is("not_ready"))
        return 802;
    initialised = 1;
    return 0;
}

CUresult cuDriverGetVersion(int *version) { /* works before cuInit, as the real one */
    if (!version)
        return 1;
    *version = 13000; /* driver 580: CUDA 13.0 */
    return 0;
}

CUresult cuDeviceGetCount(int *count) {
    if (!initialised)
        return 3;
    *count = ngpu;
    return 0;
}

CUresult cuDeviceGet(CUdevice *dev, int ordinal) {
    if (!initialised)
        return 3;
    if (ordinal < 0 || ordinal >= ngpu)
        return 101;
    *dev = ordinal;
    return 0;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
    if (dev < 0 || dev >= ngpu)
        return 101;
    snprintf(name, (size_t)len, "NVIDIA H100 80GB HBM3");
    return 0;
}

CUresult cuDeviceGetPCIBusId(char *bus, int len, CUdevice dev) {
    if (dev < 0 || dev >= ngpu)
        return 101;
    /* The nvidia-smi double's numbering: GPU 0 where the state file says, the others 0000:<6+i>:00.0. */
    if (dev == 0)
        snprintf(bus, (size_t)len, "%04x:%02x:%02x.%x", gpu0_domain, gpu0_bus, gpu0_dev, gpu0_fn);
    else
        snprintf(bus, (size_t)len, "0000:%02x:00.0", 6 + dev);
    return 0;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice dev) {
    if (dev < 0 || dev >= ngpu)
        return 101;
    if (attribute == 75) { /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */
        *value = 9;
        return 0;
    }
    if (attribute == 76) { /* _MINOR */
        *value = 0;
        return 0;
    }
    return 1;
}

CUresult cuDevicePrimaryCtxRetain(void **ctx, CUdevice dev) {
    if (!initialised)
        return 3;
    if (dev < 0 || dev >= ngpu)
        return 101;
    if (is("one_lost") && dev == ngpu - 1)
        return 999;
    *ctx = (void *)(long)(dev + 1);
    return 0;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) { return (dev < 0 || dev >= ngpu) ? 101 : 0; }

CUresult cuCtxSetCurrent(void *ctx) {
    long c = (long)ctx;
    if (c < 1 || c > ngpu)
        return 201;
    current = (int)c - 1;
    return 0;
}

CUresult cuModuleLoadData(void **module, const void *image) {
    if (current < 0)
        return 201;
    if (is("crash"))
        raise(SIGSEGV);
    if (is("old"))
        return 222;
    if (!image || !strstr((const char *)image, ".entry passthrough_probe("))
        return 218;
    *module = (void *)probe_module;
    return 0;
}

CUresult cuModuleGetFunction(void **fn, void *module, const char *name) {
    if (module != (void *)probe_module)
        return 400; /* CUDA_ERROR_INVALID_HANDLE */
    if (strcmp(name, probe_function))
        return 500; /* CUDA_ERROR_NOT_FOUND */
    *fn = (void *)probe_function;
    return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *ptr, size_t size) {
    void *p;
    if (current < 0)
        return 201;
    p = calloc(1, size);
    if (!p)
        return 2;
    *ptr = (CUdeviceptr)(unsigned long)p;
    return 0;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
    free((void *)(unsigned long)ptr);
    return 0;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t size) {
    memcpy((void *)(unsigned long)dst, src, size);
    return 0;
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t size) {
    memcpy(dst, (const void *)(unsigned long)src, size);
    return 0;
}

CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void *stream, void **params, void **extra) {
    unsigned *out, *in, n, total, i;
    (void)gy; (void)gz; (void)by; (void)bz; (void)shared; (void)stream; (void)extra;
    if (current < 0)
        return 201;
    if (fn != (void *)probe_function || !params)
        return 400;
    out = (unsigned *)(unsigned long)*(CUdeviceptr *)params[0];
    in = (unsigned *)(unsigned long)*(CUdeviceptr *)params[1];
    n = *(unsigned *)params[2];
    total = gx * bx;
    for (i = 0; i < n && i < total; i++)
        out[i] = in[i] * 3u + i;
    if (is("wrong") && current == ngpu - 1 && n > 5)
        out[5] ^= 0x10u;
    pending = is("ecc") ? 214 : 0;
    return 0;
}

CUresult cuCtxSynchronize(void) {
    CUresult r = pending;
    if (current < 0)
        return 201;
    if (is("launch_hang"))
        forever();
    pending = 0;
    return r;
}
