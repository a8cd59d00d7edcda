# Purpose: config of the throwaway JupyterHub 3.0 (Debian bookworm) that Troop's tests and
# demos run against, on 127.0.0.1 only. Loaded by scripts/hub/start.sh, which sets:
#   JH_STATE_DIR       sqlite db, cookie secret, pid files, user homes (required)
#   JH_PORT            public proxy port (/hub/..., /user/<name>/...)
#   JH_PROXY_API_PORT  configurable-http-proxy REST API port
#   JH_HUB_PORT        the hub's own internal port
#   JH_ADMIN_TOKEN     api token of the "troop-admin" service (required)
#   JH_CHP_CMD         JSON list: command that starts configurable-http-proxy
#   JH_KERNEL_TRANSPORT  ipc (default) or tcp: how kernels talk to their lab
#   TROOP_HUB_STATE    marker (= JH_STATE_DIR) inherited by every process of this hub;
#                      stop.sh uses it to find leftovers by pid after a crash
#
# NOT FOR PRODUCTION: SimpleLocalProcessSpawner runs every "user" as the hub's own OS user
# with no isolation, and DummyAuthenticator accepts any password.
import json
import os

c = get_config()  # noqa: F821  (provided by traitlets when the file is loaded)

state = os.environ["JH_STATE_DIR"]
port = int(os.environ.get("JH_PORT", "8000"))
proxy_api_port = int(os.environ.get("JH_PROXY_API_PORT", str(port + 1)))
hub_port = int(os.environ.get("JH_HUB_PORT", str(port + 2)))
admin_token = os.environ["JH_ADMIN_TOKEN"]
debian_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# ---- network: loopback only ------------------------------------------------------------
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = hub_port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.should_start = True
c.ConfigurableHTTPProxy.command = json.loads(
    os.environ.get("JH_CHP_CMD", '["configurable-http-proxy"]')
)
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.auth_token = admin_token + "-chp"

# ---- state lives in the state dir, never in cwd or /etc ---------------------------------
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(state, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # hub shutdown stops every single-user server
c.JupyterHub.cleanup_proxy = True  # ... and the proxy it started
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0  # unlimited
c.JupyterHub.concurrent_spawn_limit = 0  # unlimited concurrent spawns (bots spawn together)
c.JupyterHub.active_server_limit = 0
c.JupyterHub.log_level = os.environ.get("JH_LOG_LEVEL", "INFO")

# ---- auth: bot users are created through the API; the login form accepts anything -------
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"

# ---- admin API token (JupyterHub 3 RBAC) --------------------------------------------------
c.JupyterHub.services = [{"name": "troop-admin", "api_token": admin_token}]
c.JupyterHub.load_roles = [
    {
        "name": "troop-admin-role",
        "description": "Troop tests: manage users, servers, tokens; reach user servers",
        "scopes": [
            "admin:users",
            "admin:servers",
            "tokens",
            "admin:groups",
            "read:hub",
            "list:services",
            "read:services",
            "access:servers",  # the admin token may call into any user's server
            "proxy",
            "read:users",
            "list:users",
        ],
        "services": ["troop-admin"],
    }
]

# ---- spawner: local processes, no system users, Debian python ----------------------------
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(state, "users", "{username}")
c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/tree"  # no JupyterLab in bookworm; the REST API is at /api
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
# Never inherit PATH/PYTHONPATH from a pyenv/conda/venv shell: servers and kernels must be
# Debian's /usr/bin/python3 with Debian's dist-packages.
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.environment = {
    "PATH": debian_path,
    "JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # silence debugpy's frozen-modules warning
    "PYTHONUNBUFFERED": "1",
    "TROOP_HUB_STATE": os.environ.get("TROOP_HUB_STATE", state),
}
c.Spawner.args = [
    "--ServerApp.allow_root=True",  # jupyter_server exits 1 as root otherwise
    "--ServerApp.shutdown_no_activity_timeout=0",
    "--MappingKernelManager.cull_idle_timeout=0",
]

# ---- no ports taken from the ephemeral range --------------------------------------------
# JupyterHub picks a lab's port, and jupyter_client a kernel's five ZeroMQ ports, by binding
# port 0 and closing it; the process binds it a moment later. Any process on the machine that
# binds or connects in between can take the port (seen in the tests: "ZMQError: Address
# already in use", a kernel restart, a websocket that stalls until create_session times out).
# So kernels talk to their lab over Unix sockets (same websocket protocol for Troop), and labs
# get a free port below the ephemeral range, which the kernel never hands out on its own.
UNIX_PATH_MAX = 107  # sun_path is 108 bytes with its NUL
IPC_FILE = len("/kernel-") + 36 + len("-ipc-") + 5  # jupyter_client: <runtime>/kernel-<uuid>-ipc-<n>
ipc_root = os.path.join(os.path.abspath(state), "k")
ipc_wanted = os.environ.get("JH_KERNEL_TRANSPORT", "ipc") == "ipc"  # bench/: tcp, as most hubs run
if ipc_wanted and len(ipc_root) + len("/") + 10 + IPC_FILE <= UNIX_PATH_MAX:
    c.Spawner.environment["JUPYTER_RUNTIME_DIR"] = lambda spawner: os.path.join(ipc_root, str(spawner.user.id))
    c.Spawner.args.append("--KernelManager.transport=ipc")


def _lab_port_range():
    """Ports that neither bind(0) nor connect() hand out: below (or above) the ephemeral range."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
    except (OSError, ValueError):
        return None
    if low - 10000 >= 1000:
        return (10000, low - 1)
    if 65535 - high >= 1000:
        return (high + 1, 65535)
    return None


def _pick_lab_port(spawner):
    import random
    import socket

    span = _lab_port_range()
    for _ in range(50 if span else 0):
        port = random.randint(*span)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        spawner.port = port
        return
    spawner.port = 0  # JupyterHub's own choice


c.Spawner.pre_spawn_hook = _pick_lab_port
