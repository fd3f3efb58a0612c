/**
 * podman targets against a private podman store: through its Docker-compatible API service
 * and through the podman CLI (no service running) — the same answers; `--network
 * container:X` as one point; a stopped container and unknown names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolveTarget } from './index.js';
import { startPodman, rejectsWith } from './_engines.js';

test('podman: API socket and CLI, shared network, stopped, unknown', { timeout: 180_000 }, async (t) => {
  const podman = await startPodman();
  if (typeof podman === 'string') {
    t.skip(`podman cannot run here: ${podman}`);
    return;
  }
  const saved = { ...process.env };
  try {
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    process.env.CONTAINERD_ADDRESS = '/nonexistent/containerd.sock';
    process.env.CONTAINER_RUNTIME_ENDPOINT = 'unix:///nonexistent/cri.sock';
    const aId = podman.podman(['run', '-d', '--name', 'wspa', podman.image, 'sleep', '600']).trim();
    const bId = podman.podman(['run', '-d', '--name', 'wspb', '--network', 'container:wspa', podman.image, 'sleep', '600']).trim();
    podman.podman(['run', '-d', '--name', 'wspc', podman.image, 'sleep', '600']);

    for (const mode of ['socket', 'cli'] as const) {
      if (mode === 'socket') process.env.CONTAINER_HOST = `unix://${podman.socket}`;
      else {
        // No API service: the podman command, pointed at the same store.
        delete process.env.CONTAINER_HOST;
        Object.assign(process.env, podman.env);
      }
      const a = await resolveTarget('container:wspa');
      assert.equal(a.runtime, 'podman', mode);
      assert.equal(a.containerId, aId, mode);
      assert.equal(a.netns, `/proc/${a.pid}/ns/net`);
      assert.deepEqual(a.containers, ['wspa', 'wspb'], mode);
      const inside = execFileSync('nsenter', ['-t', String(a.pid), '-n', 'ip', '-o', 'link'], { encoding: 'utf8' });
      assert.match(inside, /^1: lo:/, 'containers.conf netns=none: only lo');
      const b = await resolveTarget(`container:${bId.slice(0, 8)}`);
      assert.equal(b.netnsId, a.netnsId, mode);
      assert.equal(b.sharedWith, 'wspa', mode);
      const unknown = await rejectsWith(resolveTarget('container:wspx'), /no container named 'wspx' \(nor with that ID or ID prefix\) in podman/);
      assert.match(unknown.message, /did you mean wspa, wspb, wspc\?/);
      // A name that looks like an option stays a name.
      await rejectsWith(resolveTarget('container:--help'), /no container named '--help'/);
    }
    // podman-docker: podman's service on Docker's socket is recognised as podman.
    delete process.env.CONTAINER_HOST;
    process.env.DOCKER_HOST = `unix://${podman.socket}`;
    process.env.PATH = '/nonexistent';
    const viaDockerSocket = await resolveTarget('container:wspa');
    assert.equal(viaDockerSocket.runtime, 'podman');
    assert.equal(viaDockerSocket.containerId, aId);
    process.env.PATH = saved.PATH;

    podman.podman(['stop', '-t', '0', 'wspc']);
    const stopped = await rejectsWith(resolveTarget('container:wspc'), /podman container 'wspc' \([0-9a-f]{12}\) is not running \((exited|stopped)[^)]*; PID 0\)/);
    assert.match(stopped.message, /podman start wspc/);
  } finally {
    process.env = saved;
    await podman.close();
  }
});
