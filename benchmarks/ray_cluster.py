"""A simulated Ray cluster on this machine: jobs placed on both nodes, a worker killed mid-run, the shutdown.

Starts a head (`ray start --head --num-cpus=1`) and a second node (`ray start --address=HEAD --num-cpus=1
--resources='{"second_node": 1}'`), each a raylet with one CPU of its own, and connects the Ray executor to the
head as a server does with RAY_ADDRESS (playground.executors.connect). Then, through a JobRegistry as the pages
use it:

  placement  K runs of the moons preset (E epochs) started at once: where each trained (node, worker pid), its
             steps/s, how many ran on each node
  fault      a long run's worker process killed (SIGKILL) mid-run while another run trains: the killed run's status
             and message, seconds from the kill to its "failed" status, the other run's status, and a run started
             after it
  shutdown   registry.shutdown() and the executor's: Ray actors still alive after it

The two nodes' processes are stopped at the end (by process id: the processes of the cluster's session and their
children) and any left are counted. Run alone or from benchmarks/load.py --cluster.

Run: .venv/bin/python benchmarks/ray_cluster.py [--jobs 4] [--epochs 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from playground.mlp.presets import DEFAULT_PRESET, PRESETS  # noqa: E402
from tests.e2e.server import free_port  # noqa: E402

RAY = str(Path(sys.executable).with_name("ray"))
SECOND = "second_node"  # the custom resource that marks the second node


def start_cluster() -> tuple[str, str]:
    """(head address, the session's folder name) of a head and a second node, one CPU each."""
    port = free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token"}  # the head requires a token (Ray 2.60); so must its nodes
    subprocess.run([RAY, "start", "--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=false",
                    "--disable-usage-stats"], check=True, env=env, capture_output=True, timeout=180)
    session = Path("/tmp/ray/session_latest").resolve().name
    address = f"127.0.0.1:{port}"
    subprocess.run([RAY, "start", f"--address={address}", "--num-cpus=1", f"--resources={json.dumps({SECOND: 1})}",
                    "--disable-usage-stats"], check=True, env=env, capture_output=True, timeout=180)
    return address, session


def cluster_processes(session: str) -> list[psutil.Process]:
    """The processes this cluster's `ray start` commands started: those naming its session, and their children."""
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(session in part for part in proc.info["cmdline"] or []):
                found[proc.pid] = proc
                for child in proc.children(recursive=True):
                    found[child.pid] = child
        except psutil.Error:
            pass
    return list(found.values())


def stop_cluster(session: str) -> int:
    """SIGTERM the cluster's processes (by id), SIGKILL what is left after 10 s; the number still alive then."""
    procs = cluster_processes(session)
    for proc in procs:
        try:
            proc.send_signal(signal.SIGTERM)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=10)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(alive, timeout=5)
    return len([p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE])


def moons(epochs: int):
    config = PRESETS[DEFAULT_PRESET].config
    return dataclasses.replace(config, training=dataclasses.replace(config.training, epochs=epochs))


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def placement(registry, roles: dict[str, str], jobs: int, epochs: int) -> None:
    runs = [registry.start(f"placement-{i}", moons(epochs)) for i in range(jobs)]
    for job in runs:
        job.thread.join(300)
    print(f"\nplacement: {jobs} runs of {DEFAULT_PRESET}, {epochs} epochs, started at once (cap "
          f"{registry.queue.max_running})")
    print(f"{'run':>4} {'status':>10} {'steps':>6} {'steps/s':>8} {'node':>8} {'node id':>14} {'worker pid':>10}")
    for i, job in enumerate(runs):
        snap, where = job.snapshot(), job.placement
        node = where.node if where else ""
        print(f"{i:>4} {snap.status:>10} {snap.step:>6} {snap.steps_per_second:>8.0f} "
              f"{roles.get(node, '?'):>8} {node[:12]:>14} {where.worker_pid if where else '':>10}")
    counts = {role: sum(1 for j in runs if j.placement and roles.get(j.placement.node) == role)
              for role in sorted(set(roles.values()))}
    print("runs per node: " + ", ".join(f"{role} {n}" for role, n in counts.items()))


def fault(registry, epochs: int) -> None:
    doomed = registry.start("fault-doomed", moons(2000))
    other = registry.start("fault-other", moons(epochs))
    trained = wait_for(lambda: doomed.placement is not None and doomed.snapshot().step > 100, 120)
    if not trained:
        print(f"\nfault: the long run never trained ({doomed.snapshot().status}); no worker to kill")
        return
    pid = doomed.placement.worker_pid
    os.kill(pid, signal.SIGKILL)
    t_kill = time.monotonic()
    failed = wait_for(lambda: doomed.snapshot().status != "running", 60)
    seconds = time.monotonic() - t_kill
    other.thread.join(300)
    after = registry.start("fault-after", moons(epochs))
    after.thread.join(300)
    snap = doomed.snapshot()
    print(f"\nfault: killed worker pid {pid} (SIGKILL) at step {snap.step:,} of the long run")
    print(f"  killed run: {snap.status} {'' if failed else '(not ended within 60 s) '}{seconds:.2f} s after the "
          f"kill; message: {snap.message}")
    print(f"  other run (trained meanwhile): {other.snapshot().status}, {other.snapshot().step} steps; "
          f"a run started afterwards: {after.snapshot().status}, {after.snapshot().step} steps")


def run(epochs: int = 30, jobs: int = 4) -> None:
    from playground import executors
    from playground.registry import JobRegistry
    from playground.settings import Settings

    address, session = start_cluster()
    try:
        executor = executors.connect("ray", {"RAY_ADDRESS": address})
        if executor.name != "ray":
            print(f"the executor fell back to threads: {executor.notice}")
            return
        import ray  # after connecting: the executor turns token authentication on before Ray is imported
        roles = {n["NodeID"]: ("second" if SECOND in n["Resources"] else "head") for n in ray.nodes() if n["Alive"]}
        print(f"\nsimulated cluster at {address}: {executor.describe()}; nodes: "
              + ", ".join(f"{role} {node[:12]}" for node, role in roles.items()))
        registry = JobRegistry(executor=executor, settings=Settings())
        placement(registry, roles, jobs, epochs)
        fault(registry, epochs)
        registry.shutdown()
        from ray._private import state

        alive = [a for a in state.actors().values() if a["State"] == "ALIVE"]
        print(f"\nshutdown: registry.shutdown() left {len(alive)} actor(s) alive, the executor holds "
              f"{executor.actors()}")
        executor.shutdown()
    finally:
        left = stop_cluster(session)
        print(f"cluster stopped: {left} of its processes still alive")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    run(args.epochs, args.jobs)


if __name__ == "__main__":
    main()
