/**
 * CPU time and memory of a process and every process below it, from /proc (Linux): what a path
 * costs, counted over all its threads and all its processes (an engine in a child process counts).
 */
import { readdir, readFile } from 'node:fs/promises';

const ticksPerSecond = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** utime+stime, ppid and rss pages of one process, or undefined when it is gone. */
async function stat(pid: number): Promise<{ ppid: number; cpuTicks: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: split after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields from 3 on: state(3) ppid(4) ... utime(14) stime(15); index = field - 3.
  return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** `pid` and all its descendants alive now. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = await stat(Number(entry));
    if (info) parents.set(info.ppid, [...(parents.get(info.ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds (user + system, all threads) used so far by `pid` and its descendants. */
export async function treeCpuSeconds(pid: number): Promise<number> {
  let ticks = 0;
  for (const member of await processTree(pid)) ticks += (await stat(member))?.cpuTicks ?? 0;
  return ticks / ticksPerSecond;
}

/** Resident set size in MB of `pid` and its descendants (shared pages counted in each). */
export async function treeRssMb(pid: number): Promise<number> {
  let kb = 0;
  for (const member of await processTree(pid)) {
    const status = await readFile(`/proc/${member}/status`, 'utf8').catch(() => '');
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return kb / 1024;
}

/**
 * CPU time in nanoseconds (all threads) used so far by the one process `pid`, from each thread's
 * schedstat: finer than the clock ticks of /proc/PID/stat, for what a single API call costs.
 */
export async function processCpuNs(pid: number): Promise<number> {
  let ns = 0;
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const text = await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8').catch(() => '');
    ns += Number(text.split(' ')[0] ?? 0) || 0;
  }
  return ns;
}
