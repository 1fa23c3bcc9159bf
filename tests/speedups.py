"""What makes the test processes cheaper without changing what any test sees (install(): tests/conftest.py).

Most of the suite's CPU went to work no test reads:

* AWS-managed policies. With MOTO_IAM_LOAD_MANAGED_POLICIES=true moto builds all ~1,600 of them in
  every IAM backend (per account and partition, and again on every reset), and
  GetAccountAuthorizationDetails returns each with its document: ~1.5 s of CPU per collected
  account. Here IAM backends hold only the AWS-managed policies the project names (an
  `iam::aws:policy/<name>` ARN in emulator/, tests/, functions/ or benchmarks/: what the seeds
  attach, what the tests attach or look for), built from moto's own data, so each is exactly what
  moto would have made; the ones nothing attaches (AmazonS3FullAccess) keep GAAD answering
  unattached AWS-managed policies for the collector to drop. A test that needs moto's whole list
  takes the `all_aws_managed_policies` marker.
* Resets. At the end of every mock_aws block moto's BackendDict.reset() re-runs __init__ of every
  backend the block used (IAM's policies, EC2's ~1,300 AMIs per region...) and then drops them all.
  Here the backends' own clean-up still runs (S3 closes its temporary files, Batch stops its jobs);
  the rebuild nobody can reach is skipped. The next block still starts from new, empty backends.
* botocore clients. Each boto3.Session parses the JSON models of the services it makes clients for
  (idcensus's assumed-role sessions share one loader themselves: idcensus/aws.py; the tests' and
  moto's own sessions do not); here all sessions of a process share one botocore Loader, which keeps
  what it parsed (as one session's does). Each client also renames the events it emits through
  botocore's alias table from a cold cache, builds an SSL context the tests' plain-HTTP loopback
  never uses, and makes a method per operation of its service (a third of making a client): here
  all three are made once per process. The e2e tests' child CLI processes get this too
  (share_botocore_models, tests/e2e/conftest.py).
* botocore's JSON. Every process parses each service's model, endpoint rules and paginators from
  JSON into OrderedDicts through a Python hook: a quarter of a second for a census's services in each
  child CLI, over a hundred children. Here each file is parsed once per machine and kept as marshal
  data (plain dicts, same keys in the same order, same values) beside the temporary files, keyed by
  the file's path, size and modification time.
* Group membership. moto's GetAccountAuthorizationDetails asks `user in group.users` (a list scan)
  for every user and group: 400 million comparisons for the large-account test's 20,000-member
  group. Here a group's member list also counts its members by identity, which is what the scan
  compares (moto's User has no __eq__).
* DynamoDB items. moto serializes a Query's items through its generic, shape-driven serializer,
  value by value: a fifth of the large-account test. The items of Query, Scan, GetItem and
  BatchGetItem are already in DynamoDB's JSON form, so here they are written with json.dumps (binary
  as base64, as the serializer writes it); anything else, or anything unexpected, goes the long way.
  tests/aws/test_speedups.py checks both give the same answer.
* S3 routes. In-process, moto reloads its moto.s3.urls module on every S3 request, in case
  MOTO_S3_CUSTOM_ENDPOINTS changed since the last: a tenth of a test that stores and publishes runs.
  Here it reloads only when that variable did change.
* moto's server lists and stats its package folder on every request to find the backend; the
  emulator lists it once (emulator/idcensus_emulator/server.py), which the e2e tests use.
* Garbage collection: moto and botocore make millions of objects; with the default threshold
  (2,000 allocations) full collections of that heap took over a third of a test process's CPU.
  The emulator's threshold (idcensus_emulator.server, which raises it while its server runs) is
  set for the whole test process.

snapshot()/restore() let a fixture build moto state once (seed, census) and give each test its own
copy of it, as if the same calls had been made again.
"""

from __future__ import annotations

import atexit
import base64
import copy
import copyreg
import gc
import hashlib
import json
import marshal
import os
import re
import tempfile
import threading
from collections import Counter
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import cache
from pathlib import Path

import botocore.client
import botocore.endpoint_provider
import botocore.hooks
import botocore.httpsession
import botocore.loaders
import botocore.model
import botocore.session

from idcensus.aws import _shared_loader as aws_shared_loader
from idcensus_emulator.server import GC_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent
NAMED_IN = ("emulator", "tests", "functions", "benchmarks")
AWS_MANAGED_ARN = re.compile(r"iam::aws:policy/([A-Za-z0-9][A-Za-z0-9+=,.@_/-]*)")  # any partition

_state = {"all_aws_managed_policies": False, "discarding": False}


# ------------------------------------------------------------------ botocore models (no moto here)


_create_loader = botocore.loaders.create_loader


def _shared_loader(search_path_string=None):
    """Every session's loader: the one idcensus's assumed-role sessions share (idcensus/aws.py), which
    keeps one copy of the data folder boto3 appends at each Session. A data path other than the
    environment's gets a loader of its own."""
    if (search_path_string or "") != os.environ.get("AWS_DATA_PATH", ""):
        return _create_loader(search_path_string)
    return aws_shared_loader()


MODEL_CACHE = Path(tempfile.gettempdir()) / f"idcensus-botocore-models-{os.getuid()}"
_load_json_file = botocore.loaders.JSONFileLoader._load_file


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _load_file_once(self, full_path, open_method):
    """JSONFileLoader._load_file through a marshal copy made by the first process that parsed it."""
    try:
        stat = os.stat(full_path)
    except OSError:
        return None
    key = hashlib.sha256(f"{full_path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    kept = MODEL_CACHE / f"{key}.marshal"
    try:
        return marshal.loads(kept.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    data = _load_json_file(self, full_path, open_method)
    if data is not None:
        partial = kept.with_suffix(f".{os.getpid()}.{threading.get_ident()}")
        try:
            MODEL_CACHE.mkdir(exist_ok=True)
            partial.write_bytes(marshal.dumps(_plain(data)))
            os.replace(partial, kept)  # whole or not at all, for processes reading it at the same time
        except OSError:  # a full or read-only temporary folder: parse again next time
            with suppress(OSError):
                partial.unlink()
    return data


_aliased: dict[str, str] = {}


def _alias_once(alias_event_name):
    """botocore renames each event it emits through a table of old service names, and caches that per
    client: every new client starts cold. The renaming depends on the name alone; cache it per process."""
    def alias(self, event_name: str) -> str:
        standard = self.__dict__.get("_standard_aliases")
        if standard is None:  # a client's aliaser holds a copy of the session's table: compare contents, once
            standard = self._standard_aliases = self._event_aliases == botocore.hooks.EVENT_ALIASES
        if not standard:
            return alias_event_name(self, event_name)
        if event_name not in _aliased:
            _aliased[event_name] = alias_event_name(self, event_name)
        return _aliased[event_name]
    alias.once, alias.original = True, alias_event_name
    return alias


_ssl_context: list = []


def _one_ssl_context(self):
    """botocore builds an SSL context (and reads the CA bundle) for every client; the tests only speak
    plain HTTP to loopback (tests/conftest.py refuses anything else), so one context is plenty."""
    if not _ssl_context:
        _ssl_context.append(botocore.httpsession.create_urllib3_context())
    return _ssl_context[0]


_made: dict[tuple, tuple] = {}


def _once_per(what: str, objects: tuple, make):
    """make()'s result, made once per `objects` (by identity: the shared loader hands every client the
    same model data). The objects are kept with the result, so their ids stay theirs."""
    key = (what, *map(id, objects))
    if key not in _made:
        _made[key] = (objects, make())
    return _made[key][1]


def _endpoint_provider_init(self, ruleset_data, partition_data, excluded_params=None) -> None:
    """botocore parses a service's endpoint rule set into rule objects for every client; evaluating them
    changes nothing in them, so clients of a service share one parse."""
    self.ruleset = _once_per("rule set", (ruleset_data, partition_data),
                             lambda: botocore.endpoint_provider.RuleSet(**ruleset_data, partitions=partition_data))
    self._excluded_params = excluded_params or frozenset()


def _methods_once(create_methods):
    """botocore makes a client class for every client, with one method per operation of the service
    (EC2 has over 600): again for each account and region. A method depends on the service model only
    (it calls self._make_api_call with its operation's name; its documentation, built on demand, uses
    the first client's event emitter): build the methods once per model. The class is still made per
    client, from a fresh dict, and the creating-client-class handlers still add to it."""
    def methods(self, service_model):
        return dict(_once_per("methods", (service_model._service_description,),
                              lambda: create_methods(self, service_model)))
    methods.original = create_methods
    return methods


def share_botocore_models() -> None:
    """What each botocore client would otherwise redo: the models a session parses (and the JSON they
    are parsed from), the endpoint rules and the methods it builds from them, the event names it
    renames, its SSL context. In the pytest processes and the e2e tests' child CLIs."""
    assert botocore.session.create_loader in (_create_loader, _shared_loader), "botocore moved create_loader"
    botocore.session.create_loader = _shared_loader
    assert botocore.loaders.JSONFileLoader._load_file in (_load_json_file, _load_file_once), "botocore moved _load_file"
    botocore.loaders.JSONFileLoader._load_file = _load_file_once
    aliaser = botocore.hooks.EventAliaser
    if not getattr(aliaser._alias_event_name, "once", False):
        aliaser._alias_event_name = _alias_once(aliaser._alias_event_name)
    session = botocore.httpsession.URLLib3Session
    assert callable(getattr(session, "_get_ssl_context", None)), "botocore moved _get_ssl_context"
    session._get_ssl_context = _one_ssl_context
    creator = botocore.client.ClientCreator
    if not hasattr(creator._create_methods, "original"):
        assert "_service_description" in botocore.model.ServiceModel.__init__.__code__.co_names, \
            "botocore's ServiceModel keeps its data elsewhere"
        creator._create_methods = _methods_once(creator._create_methods)
    provider = botocore.endpoint_provider.EndpointProvider
    if provider.__init__ is not _endpoint_provider_init:
        # what this replaces sets these two attributes and nothing else
        assert set(provider.__init__.__code__.co_names) == {"RuleSet", "ruleset", "_excluded_params", "frozenset"}, \
            "botocore's EndpointProvider.__init__ changed"
        provider.__init__ = _endpoint_provider_init


# ------------------------------------------------------------------ AWS-managed policies


@cache
def _moto_policies() -> dict[str, dict]:
    """moto's AWS-managed policies by name, as shipped (parsed once per process)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


@cache
def _policy_arguments() -> dict[str, dict]:
    """Per policy name, the keyword arguments AWSManagedPolicy.from_data builds from moto's data."""
    return {
        name: {
            "default_version_id": d.get("DefaultVersionId"),
            "path": d.get("Path"),
            "document": json.dumps(d.get("Document")),
            "create_date": datetime.fromisoformat(d["CreateDate"]),
            "update_date": datetime.fromisoformat(d["UpdateDate"]),
        }
        for name, d in _moto_policies().items()
    }


@cache
def named_aws_managed_policies() -> tuple[str, ...]:
    """Names of the AWS-managed policies whose ARN appears in the project's Python sources."""
    names = set()
    for folder in NAMED_IN:
        for path in (ROOT / folder).rglob("*.py"):
            names.update(m.rsplit("/", 1)[-1] for m in AWS_MANAGED_ARN.findall(path.read_text(encoding="utf-8")))
    unknown = names - set(_moto_policies())
    assert not unknown, f"moto does not know these AWS-managed policies: {sorted(unknown)}"
    return tuple(sorted(names))


def _init_aws_policies(self) -> list:
    from moto.iam.models import AWSManagedPolicy
    from moto.settings import load_iam_aws_managed_policies

    if not load_iam_aws_managed_policies():
        return []
    arguments = _policy_arguments()
    names = arguments if _state["all_aws_managed_policies"] else named_aws_managed_policies()
    return [AWSManagedPolicy(name, account_id=self.account_id, region=self.region_name, **arguments[name])
            for name in names]


def _sso_policies(find):
    def find_managed_policy(self, managed_policy_arn: str):
        if self.aws_managed_policies is None:  # what moto parses here on first use: the same data, parsed once
            self.aws_managed_policies = _moto_policies()
        return find(self, managed_policy_arn)

    return find_managed_policy


@contextmanager
def all_aws_managed_policies():
    """Every AWS-managed policy moto ships, in the IAM backends created inside this block."""
    _state["all_aws_managed_policies"] = True
    try:
        yield
    finally:
        _state["all_aws_managed_policies"] = False


# ------------------------------------------------------------------ group members


class _Members(list):
    """A moto group's `users`: a list (moto appends, removes and iterates it) whose `in` is a lookup."""

    def __init__(self, items=()):
        super().__init__(items)
        self._recount()

    def _recount(self) -> None:
        self._ids = Counter(map(id, self))

    def __contains__(self, item) -> bool:
        return self._ids[id(item)] > 0

    def append(self, item) -> None:
        super().append(item)
        self._ids[id(item)] += 1

    def remove(self, item) -> None:
        super().remove(item)
        self._ids[id(item)] -= 1

    def __reduce_ex__(self, protocol):  # copies (snapshot/restore) count their own members
        return type(self), (list(self),)


def _recounting(name: str):
    def mutate(self, *args, **kwargs):
        result = getattr(list, name)(self, *args, **kwargs)
        self._recount()
        return result
    return mutate


for _name in ("extend", "insert", "pop", "clear", "sort", "reverse", "__setitem__", "__delitem__", "__iadd__"):
    setattr(_Members, _name, _recounting(_name))


def _indexed_members(group_init):
    def init(self, *args, **kwargs) -> None:
        group_init(self, *args, **kwargs)
        assert type(self.users) is list, "moto's Group.users is no longer a list"
        self.users = _Members(self.users)
    init.indexed = True
    return init


# ------------------------------------------------------------------ DynamoDB items

_ITEM_OPERATIONS = {"Query", "Scan", "GetItem", "BatchGetItem"}
_ITEM_RESULT_KEYS = {"Items", "Count", "ScannedCount", "LastEvaluatedKey", "ConsumedCapacity", "Item", "Responses",
                     "UnprocessedKeys"}


def _base64(value):
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def _items_as_json(execute_result):
    def fast(self, context):
        result = self.result
        if (context.operation_model.name in _ITEM_OPERATIONS and isinstance(result, dict)
                and result.keys() <= _ITEM_RESULT_KEYS and None not in result.values()):
            try:
                body = json.dumps(result, default=_base64)
            except TypeError:  # a value the serializer knows how to write and json does not
                return execute_result(self, context)
            status, headers, _ = execute_result(type(self)({}), context)  # status and headers as moto makes them
            return status, headers, body
        return execute_result(self, context)
    fast.original = execute_result
    return fast


# ------------------------------------------------------------------ S3 routes

_s3_routes: dict = {}


def _s3_url_module_once(url_module):
    """S3Backend._url_module, which reloads moto.s3.urls to read MOTO_S3_CUSTOM_ENDPOINTS again: reloaded
    only when that variable changed (the module reads nothing else from the environment)."""
    def once(self):
        endpoints = os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS")
        if "module" not in _s3_routes or _s3_routes["endpoints"] != endpoints:
            _s3_routes.update(module=url_module.fget(self), endpoints=endpoints)
        return _s3_routes["module"]
    once.original = url_module
    return property(once)


# ------------------------------------------------------------------ resets


def _resets(base_reset, dict_reset):
    def backend_reset(self) -> None:
        if not _state["discarding"]:  # a backend reset on its own (e.g. /moto-api/reset) is rebuilt as before
            base_reset(self)

    def reset(cls) -> None:
        _state["discarding"] = True  # every backend reset here is dropped from its dictionary right after
        try:
            dict_reset(cls)
        finally:
            _state["discarding"] = False

    return backend_reset, classmethod(reset)


# ------------------------------------------------------------------ moto state, copied


# What a copy of moto's state gets instead of a copy of a lock: a new one (SQS queues hold a Condition).
_FRESH = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock,
          threading.Condition: threading.Condition}


def _copy(state: dict) -> dict:
    for kind, make in _FRESH.items():
        copyreg.dispatch_table[kind] = lambda _, make=make: (make, ())
    try:
        return copy.deepcopy(state, {id(bd): bd for bd in state})  # the BackendDicts are moto's own, not copied
    finally:
        for kind in _FRESH:
            copyreg.dispatch_table.pop(kind, None)


def snapshot() -> dict:
    """A copy of the state of every moto backend in use (inside mock_aws), for restore()."""
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import model_data

    # moto tracks every model object it makes (BaseModel.__new__, copies included) and disposes of
    # them all at the end of the block: S3 closes its keys' buffers. The snapshot outlives the
    # block, so its copies are not tracked (restore()'s copies are, as the originals were).
    models = [m for by_name in model_data.values() for m in by_name.values()]
    tracked = {m: len(m.instances_tracked) for m in models}
    copied = _copy({bd: dict(bd) for bd in BackendDict._instances})
    for model, n in tracked.items():
        _kept.extend(o for o in model.instances_tracked[n:] if hasattr(o, "dispose"))
        del model.instances_tracked[n:]
    return copied


_kept: list = []  # the snapshots' S3 keys (temporary files): closed at exit, while Python still can


@atexit.register
def _dispose_kept() -> None:
    for model_object in _kept:
        model_object.dispose()
    _kept.clear()


def restore(state: dict) -> None:
    """Make a copy of `state` (from snapshot()) the backends of the mock_aws that just started: as if
    the calls that built it had been made again (same IDs and dates), without making them."""
    from moto.core.base_backend import BackendDict, backend_lock

    backends = _copy(state)
    with backend_lock:
        for bd, accounts in backends.items():
            assert not bd, f"restore() into a used {bd.service_name} backend"
            dict.update(bd, accounts)
            if bd not in BackendDict._instances:  # reset at the end of the block, as if used
                BackendDict._instances.append(bd)


# ------------------------------------------------------------------


def install() -> None:
    """Everything above, in this process (the pytest processes: tests/conftest.py)."""
    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.dynamodb.responses import DynamoResult
    from moto.iam.models import Group, IAMBackend
    from moto.s3.models import S3Backend
    from moto.ssoadmin.models import SSOAdminBackend

    # Fail loudly, not slowly, if an upgrade moves what this replaces.
    assert callable(getattr(IAMBackend, "_init_aws_policies", None)), "moto moved IAMBackend._init_aws_policies"
    assert callable(getattr(SSOAdminBackend, "_find_managed_policy", None)), "moto moved _find_managed_policy"
    assert "reset" in vars(BackendDict), "moto moved BackendDict.reset"
    if IAMBackend._init_aws_policies is _init_aws_policies:
        return
    assert not getattr(Group.__init__, "indexed", False)
    IAMBackend._init_aws_policies = _init_aws_policies
    SSOAdminBackend._find_managed_policy = _sso_policies(SSOAdminBackend._find_managed_policy)
    Group.__init__ = _indexed_members(Group.__init__)
    assert "execute_result" not in vars(DynamoResult), "moto's DynamoResult serializes itself now"
    DynamoResult.execute_result = _items_as_json(DynamoResult.execute_result)
    assert isinstance(vars(S3Backend).get("_url_module"), property), "moto moved S3Backend._url_module"
    assert set(S3Backend._url_module.fget.__code__.co_names) >= {"reload"}, "moto's S3 routes no longer reload"
    S3Backend._url_module = _s3_url_module_once(S3Backend._url_module)
    BaseBackend.reset, BackendDict.reset = _resets(BaseBackend.reset, BackendDict.reset.__func__)
    share_botocore_models()
    gc.set_threshold(*GC_THRESHOLD)
