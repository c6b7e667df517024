#!/usr/bin/env bash
# Records what the real NVIDIA tools and the kernel say on a machine with a real GPU,
# so unit tests can replay them verbatim (tests/unit/fixtures/real/).
# Usage: tools/capture-gpu-fixtures.sh OUTDIR
set -u
out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
run() { # name, command...
  local name=$1; shift
  "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"
  echo $? >"$out/$name.rc"
}
FIELDS="index,name,uuid,pci.bus_id,driver_version,memory.total,memory.used,ecc.mode.current,ecc.errors.uncorrected.volatile.total,ecc.errors.corrected.volatile.total,temperature.gpu,persistence_mode,pstate,power.draw,power.limit,utilization.gpu,vbios_version,serial,compute_mode,mig.mode.current,retired_pages.pending,retired_pages.double_bit.count,retired_pages.single_bit_ecc.count,remapped_rows.pending,remapped_rows.failure,remapped_rows.correctable,remapped_rows.uncorrectable,pcie.link.gen.current,pcie.link.width.current,clocks_throttle_reasons.active"
run banner nvidia-smi
run q nvidia-smi -q
run query nvidia-smi --query-gpu="$FIELDS" --format=csv,noheader,nounits
run query_header nvidia-smi --query-gpu="$FIELDS" --format=csv
run query_badfield nvidia-smi --query-gpu=index,this.is.not.a.field --format=csv,noheader,nounits
run help_query nvidia-smi --help-query-gpu
run version nvidia-smi --version
run badarg nvidia-smi --no-such-option
run list nvidia-smi -L
run dmesg dmesg
run dmesg_T dmesg -T
run journal_k journalctl -k -b 0 --no-pager
run proc_version cat /proc/driver/nvidia/version
run sys_version cat /sys/module/nvidia/version
run cmdline cat /proc/cmdline
run lspci lspci -nn
run uname uname -a
run os cat /etc/os-release
smi=$(command -v nvidia-smi)
run which ls -l "$smi"
for f in "$out"/*.rc; do printf '%s=%s\n' "$(basename "$f" .rc)" "$(cat "$f")"; done
