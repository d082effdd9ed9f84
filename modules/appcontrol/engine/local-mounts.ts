/**
 * Which mounts application control holds when no mount is named: those of local filesystems
 * where programs live, like fapolicyd's `watch_fs`. Pseudo filesystems (proc, sysfs, cgroup…)
 * hold no programs worth a permission event.
 */
export const LOCAL_FILESYSTEM_TYPES: ReadonlySet<string> = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'f2fs',
  'jfs',
  'reiserfs',
  'zfs',
  'tmpfs',
  'ramfs',
  'overlay',
  'vfat',
  'exfat',
  'iso9660',
  'squashfs',
]);

/** Unescapes the octal escapes of /proc/self/mounts (`\040` for a space). */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Mount points of local filesystems in /proc/self/mounts text, each once, in order. */
export function localMountPoints(mountsText: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of mountsText.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 3) continue;
    const point = unescapeField(fields[1] as string);
    if (!LOCAL_FILESYSTEM_TYPES.has(fields[2] as string) || !point.startsWith('/') || seen.has(point)) continue;
    seen.add(point);
    out.push(point);
  }
  return out;
}
