/**
 * Container IDs from cgroup lines, as each runtime and cgroup driver writes them (v1 and v2),
 * and the lines that must not count (host processes, monitors, short or non-hex names).
 * The live side (a real dockerd's containers found by cgroup) is in docker.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerOfCgroup, containerOfPid } from './proc.js';

const id = 'c2bb6ffeeab8d4d19e44430f00a5fc0c2a708e72ec96cc0d69033881ca034153';

test('cgroup lines: docker, containerd, CRI-O, podman, Kubernetes; v1 and v2', () => {
  const cases: Array<[string, string | undefined]> = [
    [`12:memory:/docker/${id}\n0::/`, 'docker'],
    [`0::/system.slice/docker-${id}.scope`, 'docker'],
    [`4:pids:/k8s.io/${id}`, 'containerd'],
    [`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-${id}.scope`, 'containerd'],
    [`3:cpu:/kubepods/besteffort/pod5f1b/${id}`, 'containerd'],
    [`0::/default/${id}`, 'containerd'],
    [`0::/kubepods.slice/kubepods-pod9.slice/crio-${id}.scope`, 'cri'],
    [`0::/machine.slice/libpod-${id}.scope`, 'podman'],
    [`5:memory:/libpod_parent/libpod-${id}`, 'podman'],
    [`0::/machine.slice/libpod-conmon-${id}.scope`, undefined],
    [`0::/kubepods.slice/crio-conmon-${id}.scope`, undefined],
    ['0::/user.slice/user-0.slice/session-1.scope', undefined],
    ['9:name=systemd:/\n0::/', undefined],
    [`0::/docker/${id.slice(0, 63)}`, undefined],
    [`0::/docker/${id.toUpperCase()}`, undefined],
  ];
  for (const [text, runtime] of cases) {
    const c = containerOfCgroup(text);
    assert.equal(c?.runtime, runtime, text);
    if (runtime) assert.equal(c?.id, id, text);
  }
});

test('a process that does not exist is in no container', () => {
  assert.equal(containerOfPid(4_000_000), undefined);
});
