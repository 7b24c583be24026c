"""The SIP user agent (pjsua2): one thread owns the Endpoint and every object made from it.

pjsua2 runs with no worker threads of its own for SIP (`threadCnt=0`, `mainThreadOnly`): the
phone's thread polls it (`libHandleEvents`) and runs every command the other threads submit, so
callbacks and commands never race. The null sound device drives the conference bridge's clock
(never the sound card); each call's audio meets Python in an `AudioMediaPort` whose two callbacks,
on that clock's thread, only pass 20 ms frames to and from the call's `CallLeg`.

Codecs: G.722 (16 kHz wideband) first, then G.711 (PCMU, PCMA); the other codecs of the wheel are
switched off, so a call is wideband when the other side offers G.722 and G.711 otherwise. Key
presses go as RFC 4733 telephone events. Transports: UDP and TCP always, on one port (an
automatic one is checked free for both, and another is tried if it is taken meanwhile); TLS 1.2
(a client that checks the certificate) for sips: and ;transport=tls addresses and TLS accounts,
and SRTP only where the SIP messages that carry its keys go over TLS. A re-INVITE from the other
side that puts the call on hold (or takes it back) moves the leg between CONNECTED and HELD.
Media objects, calls and the account are released before `libDestroy()` (pjsua2 aborts
otherwise). pjproject is GPL-2.0-or-later.
"""

from __future__ import annotations

import concurrent.futures
import errno
import gc
import logging
import os
import queue
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from openhear.calls import INSTALL_HINT, CallError
from openhear.calls.account import SipAccount
from openhear.calls.address import check_sip_uri, plain_uri
from openhear.calls.leg import (
    BRIDGE_RATE,
    FRAME_BYTES,
    FRAME_MS,
    CallLeg,
    CallState,
    CallStatus,
)

log = logging.getLogger("openhear.calls")

CODEC_PRIORITY = ("G722/16000/1", "PCMU/8000/1", "PCMA/8000/1")
"""Codecs offered and accepted, best first; every other codec is switched off."""
POLL_MS = 10
"""How long one `libHandleEvents` waits for SIP events, milliseconds (the latency of a command)."""
COMMAND_TIMEOUT_S = 10.0
"""A command the phone's thread does not finish in this time is an error."""
SHUTDOWN_WAIT_S = 3.0
"""On close, how long calls still up are given to end cleanly before the library goes."""
REGISTER_TIMEOUT_S = 20.0
"""How long to wait for the registrar's answer."""
DTMF_DURATION_MS = 160
"""Length of one key press, milliseconds."""
USER_AGENT = "openhear"
"""The User-Agent header of our SIP messages."""
SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
"""Certificate authorities TLS trusts by default (Debian's list: the wheel's OpenSSL has none)."""

PORT_TRIES = 10
"""Automatic SIP ports tried before giving up (each may be taken between the check and the bind)."""
PJ_ERRNO_START_SYS = 120000
"""pjlib's status for an operating system error is this plus the error's number."""

SRTP_ACTIVE = "SRTP status: Active"
"""What pjsua's call dump says of a call whose audio is encrypted (pjsua2 has no getter for it)."""

T = TypeVar("T")


@dataclass(frozen=True)
class PhoneOptions:
    """How the phone joins the network."""

    port: int = 0
    """Local SIP port for UDP and TCP; 0: any free port (fine for dialling out)."""
    bind_address: str = ""
    """Local address to listen on; '' for every interface."""
    account: SipAccount | None = None
    """The account to register and call through; None for direct calls (sip:user@host:port)."""
    answer: bool = False
    """Take incoming calls (`next_incoming`); otherwise they are refused as busy."""
    tls: bool = False
    """Also place calls over TLS (sips: addresses, ;transport=tls); an account on TLS implies it."""
    tls_ca_file: str = ""
    """PEM certificates to trust for TLS (a PBX's own); '' for the system's list."""
    verbose: bool = False
    """Send pjsua2's log (level 3: no SIP message bodies) to openhear's log as debug lines."""

    def __post_init__(self) -> None:
        if not 0 <= self.port < 65536:
            raise CallError(f"port {self.port} is out of range (0 to 65535)")
        if self.tls_ca_file and not os.path.isfile(self.tls_ca_file):
            raise CallError(f"cannot read the certificates {self.tls_ca_file} (no such file)")

    @property
    def uses_tls(self) -> bool:
        """Whether the phone needs a TLS transport."""
        return self.tls or (self.account is not None and self.account.transport == "tls")


def _pjsua2() -> Any:
    """The pjsua2 module, or a CallError saying how to install it."""
    try:
        import pjsua2
    except ImportError:
        raise CallError(
            f"SIP calls need pjsua2: install openhear with the calls extra ({INSTALL_HINT})"
        ) from None
    return pjsua2


def _reason(exc: BaseException) -> str:
    """A pjsua2 error as one short line (its reason without the error constant's name)."""
    reason = getattr(exc, "reason", "") or str(exc)
    return reason.split(" (PJ")[0].strip() or type(exc).__name__


@contextmanager
def _stdout_to(fd: int) -> Iterator[None]:
    """Point file descriptor 1 at `fd` for the block: pjlib prints its start-up lines on stdout
    before any log setting can apply, and stdout carries the captions."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(fd, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class Phone:
    """A SIP phone: `start` it (or use it as a context manager), `dial` or take `next_incoming`,
    and `close` it. Calls are `CallLeg`s; at most one is up at a time."""

    def __init__(self, options: PhoneOptions = PhoneOptions()):
        self.options = options
        self._pj = _pjsua2()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._incoming: queue.SimpleQueue[CallLeg] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="openhear-sip", daemon=True)
        # Owned by the phone's thread:
        self._ep: Any = None
        self._account: Any = None
        self._calls: list[Any] = []
        self._retired_ports: list[Any] = []
        """Media ports of ended calls, off the bridge but kept alive until the media clock has
        stopped (`_destroy`): deleting one while the clock's thread may be inside its callback
        frees the object under that thread (a segfault)."""
        self._registration: concurrent.futures.Future[int] | None = None
        self.local_port = 0
        """The SIP port listened on (once started)."""
        self._local_name = ""

    def __enter__(self) -> Phone:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the caller's side --

    def start(self) -> None:
        """Start the library, the transports and the account (registered if it has a registrar);
        a CallError if any of them fails."""
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        account = self.options.account
        if self._registration is not None and account is not None:
            try:
                code = self._registration.result(timeout=REGISTER_TIMEOUT_S)
            except concurrent.futures.TimeoutError:
                self.close()
                raise CallError(
                    f"no answer from the registrar {account.registrar_uri} "
                    f"within {REGISTER_TIMEOUT_S:g} s"
                ) from None
            if code // 100 != 2:
                self.close()
                raise CallError(_registration_failure(account, code))

    def dial(self, uri: str) -> CallLeg:
        """Call a SIP address; the leg is CALLING (watch it with `wait`)."""
        uri = check_sip_uri(uri)
        return self._submit(lambda: self._dial(uri))

    def next_incoming(self, timeout_s: float | None = None) -> CallLeg | None:
        """The next incoming call (ringing, not yet answered); None if none came in `timeout_s`."""
        if not self.options.answer:
            raise CallError("this phone does not take incoming calls")
        try:
            return self._incoming.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Hang up what is still up and shut the library down (idempotent)."""
        self._stopping.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()

    def _submit(self, command: Callable[[], T]) -> T:
        """Run `command` on the phone's thread and return its result (or raise its error)."""
        if threading.current_thread() is self._thread:
            return command()
        if self._stopping.is_set() or not self._thread.is_alive():
            raise CallError("the phone has been shut down")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._commands.put((command, future))
        try:
            return future.result(timeout=COMMAND_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            raise CallError("the SIP stack did not respond") from None

    # -- the phone's thread --

    def _run(self) -> None:
        failure = ""
        try:
            self._start_library()
        except BaseException as exc:
            failure = (
                str(exc)
                if isinstance(exc, CallError)
                else f"the SIP stack did not start: {_reason(exc)}"
            )
        if failure:  # a fresh error: no frame holding a pjsua2 object outlives the library
            self._error = CallError(failure)
            self._destroy()
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stopping.is_set():
                self._ep.libHandleEvents(POLL_MS)
                self._run_commands()
        finally:
            self._shut_down()

    def _run_commands(self) -> None:
        while True:
            try:
                command, future = self._commands.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = command()
            except BaseException as exc:
                message = str(exc) if isinstance(exc, CallError) else _reason(exc)
            else:
                future.set_result(result)
                continue
            # A fresh error, made outside the handler: no traceback or context can carry a frame
            # holding a pjsua2 object to another thread, to be freed after the library.
            future.set_exception(CallError(message))

    def _start_library(self) -> None:
        pj = self._pj
        o = self.options
        self._ep = pj.Endpoint()
        with open(os.devnull, "w") as devnull:
            with _stdout_to(2 if o.verbose else devnull.fileno()):
                self._ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = USER_AGENT
        cfg.uaConfig.maxCalls = 4
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.msgLogging = 0  # SIP messages are never logged (they carry digests)
        if o.verbose:
            self._log_writer = _classes(pj)["LogWriter"]()
            cfg.logConfig.writer = self._log_writer
            cfg.logConfig.level = 3
        else:
            cfg.logConfig.level = 0
        cfg.medConfig.clockRate = BRIDGE_RATE
        cfg.medConfig.sndClockRate = BRIDGE_RATE
        cfg.medConfig.channelCount = 1
        cfg.medConfig.audioFramePtime = FRAME_MS
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        self._ep.libInit(cfg)
        self._ep.audDevManager().setNullDev()
        for codec in self._ep.codecEnum2():
            wanted = codec.codecId in CODEC_PRIORITY
            priority = 255 - CODEC_PRIORITY.index(codec.codecId) if wanted else 0
            self._ep.codecSetPriority(codec.codecId, priority)
        transports = self._create_transports()
        self._ep.libStart()
        self._account = _classes(pj)["Account"](self)
        self._account.create(self._account_config(transports))

    def _create_transports(self) -> dict[str, int]:
        """UDP and TCP on one port (TLS, a client, on any): the port given, else an automatic one
        free for both; one taken between the check and the bind is passed over for another."""
        o = self.options
        if o.port:
            return self._create_transports_on(o.port)
        for _ in range(PORT_TRIES - 1):
            try:
                return self._create_transports_on(free_sip_port(o.bind_address))
            except _PortTaken as exc:
                log.debug("SIP port taken, trying another: %s", exc)
        return self._create_transports_on(free_sip_port(o.bind_address))

    def _create_transports_on(self, port: int) -> dict[str, int]:
        """The transports on `port` (0: UDP's port, any); on failure those made are closed."""
        pj = self._pj
        o = self.options
        kinds = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP}
        if o.uses_tls:
            kinds["tls"] = pj.PJSIP_TRANSPORT_TLS
        ids: dict[str, int] = {}
        for name, kind in kinds.items():
            tcfg = pj.TransportConfig()
            tcfg.port = 0 if name == "tls" else port
            if o.bind_address:
                tcfg.boundAddress = o.bind_address
            if name == "tls":  # a client: it verifies the other side, it has no certificate
                tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
                tcfg.tlsConfig.verifyServer = True
                tcfg.tlsConfig.CaListFile = o.tls_ca_file or SYSTEM_CA_FILE
            try:
                ids[name] = self._ep.transportCreate(kind, tcfg)
            except pj.Error as exc:
                self._close_transports(ids)
                where = f"{o.bind_address or 'every interface'} port {tcfg.port}"
                message = f"cannot listen for SIP ({name.upper()}) on {where}: {_reason(exc)}"
                in_use = getattr(exc, "status", 0) == PJ_ERRNO_START_SYS + errno.EADDRINUSE
                raise (_PortTaken if in_use else CallError)(message) from None
            if name == "udp":  # its published address (host:port) is ours
                self._local_name = self._ep.transportGetInfo(ids[name]).localName
                port = int(self._local_name.rsplit(":", 1)[1])
        self.local_port = port
        return ids

    def _close_transports(self, ids: dict[str, int]) -> None:
        for transport in ids.values():
            try:
                self._ep.transportClose(transport)
            except Exception as exc:
                log.debug("SIP transport close: %s", _reason(exc))

    def _account_config(self, transports: dict[str, int]) -> Any:
        pj = self._pj
        account = self.options.account
        acfg = pj.AccountConfig()
        # SRTP's keys travel in the SIP messages: offered only where those go over TLS.
        acfg.mediaConfig.srtpSecureSignaling = 1
        srtp = account.srtp if account is not None else "optional"
        acfg.mediaConfig.srtpUse = {
            "off": pj.PJMEDIA_SRTP_DISABLED,
            "optional": pj.PJMEDIA_SRTP_OPTIONAL,
            "required": pj.PJMEDIA_SRTP_MANDATORY,
        }[srtp if self.options.uses_tls else "off"]
        if account is None:
            acfg.idUri = f"sip:openhear@{self._local_name}"
            return acfg
        acfg.idUri = account.uri
        registrar = account.registrar_uri
        if account.transport != "udp" and "transport=" not in registrar:
            registrar += f";transport={account.transport}"
        acfg.regConfig.registrarUri = registrar
        acfg.regConfig.timeoutSec = 300
        acfg.sipConfig.proxies.append(registrar + ";lr")
        if account.transport == "tls":
            acfg.sipConfig.transportId = transports["tls"]
        acfg.sipConfig.authCreds.append(
            pj.AuthCredInfo("digest", "*", account.user_name, 0, account.password)
        )
        self._registration = concurrent.futures.Future()
        return acfg

    def _registered(self, code: int) -> None:
        if self._registration is not None and not self._registration.done():
            self._registration.set_result(code)

    def _dial(self, uri: str) -> CallLeg:
        pj = self._pj
        call = _classes(pj)["Call"](self, self._account, uri)
        self._calls.append(call)  # even if it fails: it goes before the library
        leg, failure = call.leg, ""
        try:
            call.makeCall(uri, pj.CallOpParam(True))
        except pj.Error as exc:
            failure = _reason(exc)
            if "gethostbyname" in failure or "getaddrinfo" in failure:
                failure = "its host name was not found (no network, or a wrong name)"
        del call
        if failure:
            leg.update(CallStatus(CallState.ENDED, 0, failure))
            raise CallError(f"cannot reach {uri}: {failure}")
        return leg

    def _incoming_call(self, call_id: int) -> None:
        pj = self._pj
        busy = not self.options.answer or any(
            c.leg.status.state is not CallState.ENDED for c in self._calls
        )
        call = _classes(pj)["Call"](self, self._account, "", call_id)
        call.leg.remote_uri = plain_uri(call.getInfo().remoteUri)
        self._calls.append(call)
        prm = pj.CallOpParam()
        prm.statusCode = 486 if busy else 180
        call.answer(prm)
        if not busy:
            self._incoming.put(call.leg)

    def _shut_down(self) -> None:
        legs = [c.leg for c in self._calls]  # no frame may hold a call when the library goes
        try:
            for leg in legs:
                try:
                    leg.hangup()  # on this thread, so at once
                except CallError:
                    pass
            waited_ms = 0
            while waited_ms < SHUTDOWN_WAIT_S * 1000 and any(
                leg.status.state is not CallState.ENDED for leg in legs
            ):
                self._ep.libHandleEvents(POLL_MS)
                waited_ms += POLL_MS
        except BaseException as exc:  # the library must still be destroyed
            log.debug("SIP shut-down: %s", _reason(exc))
        finally:
            self._destroy()

    def _destroy(self) -> None:
        """Media ports, then calls and the account, then the library (the order pjsua2 needs)."""
        if self._ep is not None:  # stop the media clock: no frame callback runs after this
            try:
                self._ep.audDevManager().setNoDev()
            except Exception as exc:
                log.debug("SIP media clock: %s", _reason(exc))
        while self._calls:  # no frame may hold a call when the library goes
            self._calls.pop().release()
        self._retired_ports.clear()
        if self._account is not None:
            try:
                self._account.shutdown()
            except Exception:
                pass
            self._account = None
        gc.collect()  # a pjsua2 object deleted after libDestroy() aborts the process
        if self._ep is not None:
            try:
                self._ep.libDestroy()
            except Exception as exc:
                log.debug("SIP library shut-down: %s", _reason(exc))
            self._ep = None
        while True:  # commands that came too late
            try:
                _, future = self._commands.get_nowait()
            except queue.Empty:
                break
            future.set_exception(CallError("the phone has been shut down"))


class _PortTaken(CallError):
    """The SIP port is taken (by another program, or a connection of this machine)."""


def free_sip_port(bind_address: str = "") -> int:
    """A port free now for both UDP and TCP on `bind_address` ('' for every interface): the
    system picks a free UDP port, kept when the same TCP port is free too (the system's ports
    for outgoing TCP connections come from the same range). 0 when this machine cannot bind the
    address at all (the transports then say why) or no port was found in PORT_TRIES."""
    host = bind_address or "0.0.0.0"
    for _ in range(PORT_TRIES):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind((host, 0))
            except OSError:
                return 0
            port: int = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    return 0


def _registration_failure(account: SipAccount, code: int) -> str:
    if code in (401, 403, 407):
        return (
            f"the registrar {account.registrar_uri} refused user {account.user_name!r} "
            f"({code}): check the user name and password (openhear call --setup)"
        )
    return f"registration at {account.registrar_uri} failed ({code or 'no answer'})"


class _Control:
    """CallControl for one pjsua2 call: each command runs on the phone's thread."""

    def __init__(self, phone: Phone, call: Any):
        self._phone = phone
        self._call: Any = call

    def detach(self) -> None:
        """Forget the call (the library is going): commands then fail as on an ended call."""
        self._call = None

    def _on_call(self, command: Callable[[Any], object]) -> None:
        def run() -> None:
            if self._call is None:
                raise CallError("the call has ended")
            command(self._call)

        self._phone._submit(run)

    def answer(self) -> None:
        pj = self._phone._pj
        prm = pj.CallOpParam()
        prm.statusCode = 200
        self._on_call(lambda call: call.answer(prm))

    def hangup(self) -> None:
        pj = self._phone._pj
        self._on_call(lambda call: call.hangup(pj.CallOpParam()))

    def send_dtmf(self, keys: str) -> None:
        pj = self._phone._pj

        def send(call: Any) -> None:
            prm = pj.CallSendDtmfParam()
            prm.digits = keys
            prm.duration = DTMF_DURATION_MS
            prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
            try:
                call.sendDtmf(prm)
            except pj.Error as exc:
                raise CallError(f"the keys {keys} were not sent: {_reason(exc)}") from None

        self._on_call(send)


_CLASSES: dict[str, type] = {}


def _classes(pj: Any) -> dict[str, type]:
    """The pjsua2 subclasses (Account, Call, Port, LogWriter), defined once pjsua2 is imported."""
    if not _CLASSES:
        _CLASSES.update(_define_classes(pj))
    return _CLASSES


def _define_classes(pj: Any) -> dict[str, type]:
    class Account(pj.Account):
        def __init__(self, phone: Phone):
            super().__init__()
            self._phone = phone

        def onRegState(self, prm: Any) -> None:
            self._phone._registered(prm.code)

        def onIncomingCall(self, prm: Any) -> None:
            try:
                self._phone._incoming_call(prm.callId)
            except Exception as exc:
                log.debug("incoming call dropped: %s", _reason(exc))

    class Port(pj.AudioMediaPort):
        """The call's audio in Python: the media clock's thread calls these every 20 ms."""

        def __init__(self, leg: CallLeg):
            super().__init__()
            self._leg = leg
            self._silence = pj.ByteVector(bytes(FRAME_BYTES))

        def onFrameRequested(self, frame: Any) -> None:
            try:
                pcm = self._leg.requested()
                frame.buf = self._silence if pcm is None else pj.ByteVector(pcm)
                frame.size = FRAME_BYTES
                frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            except Exception:
                pass  # never raise into the media clock

        def onFrameReceived(self, frame: Any) -> None:
            try:
                audio = frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size
                self._leg.received(bytes(iter(frame.buf)) if audio else None)
            except Exception:
                pass

    class Call(pj.Call):
        def __init__(self, phone: Phone, account: Any, uri: str, call_id: int | None = None):
            if call_id is None:
                super().__init__(account)
            else:
                super().__init__(account, call_id)
            self._port: Any = None
            self._audio: Any = None
            self._phone = phone
            self.control = _Control(phone, self)
            self.leg = CallLeg(uri, call_id is not None, self.control)

        def onCallState(self, prm: Any) -> None:
            try:
                info = self.getInfo()
                if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
                    self.release_media()
                    status = CallStatus(CallState.ENDED, info.lastStatusCode, info.lastReason)
                    self.leg.update(status)
                elif (
                    info.state == pj.PJSIP_INV_STATE_EARLY
                    and self.leg.status.state is CallState.CALLING
                ):
                    status = CallStatus(CallState.RINGING, info.lastStatusCode, info.lastReason)
                    self.leg.update(status)
            except Exception as exc:
                log.debug("call state: %s", _reason(exc))

        def onCallMediaState(self, prm: Any) -> None:
            try:
                self._connect_media()
            except Exception as exc:
                log.debug("call media: %s", _reason(exc))
                self.hangup(pj.CallOpParam())

        def onDtmfDigit(self, prm: Any) -> None:
            log.info("the other side pressed %s", prm.digit)

        def _connect_media(self) -> None:
            """The call's state, connected or on hold (the other side has put it there), and its
            audio to and from our port (again after each re-INVITE: connecting is idempotent)."""
            info = self.getInfo()
            for index, media in enumerate(info.media):
                if media.type != pj.PJMEDIA_TYPE_AUDIO:
                    continue
                if media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                    state = CallState.CONNECTED
                    codec, encrypted = self._connect_audio(index)
                elif media.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD:
                    state = CallState.HELD
                    try:  # what they send on hold (music, announcements) is still heard
                        codec, encrypted = self._connect_audio(index)
                    except pj.Error:  # held as inactive: no audio at all
                        codec, encrypted = self.leg.status.codec, self.leg.status.encrypted
                else:
                    continue
                self.leg.update(CallStatus(state, info.lastStatusCode, "", codec, encrypted))
                return

        def _connect_audio(self, index: int) -> tuple[str, bool]:
            """Connect the call's audio `index` both ways to our port; (codec, encrypted)."""
            audio = self.getAudioMedia(index)
            if self._port is None:
                fmt = pj.MediaFormatAudio()
                fmt.init(pj.PJMEDIA_FORMAT_PCM, BRIDGE_RATE, 1, FRAME_MS * 1000, 16)
                self._port = Port(self.leg)
                self._port.createPort(f"openhear-call-{self.getId()}", fmt)
            audio.startTransmit(self._port)
            self._port.startTransmit(audio)
            self._audio = audio
            stream = self.getStreamInfo(index)
            return f"{stream.codecName}/{stream.codecClockRate}", SRTP_ACTIVE in self.dump(True, "")

        def release_media(self) -> None:
            """Take the port off the call's audio; the phone keeps it until the media clock stops
            (the clock's thread may be inside its callback now)."""
            port, audio, self._port, self._audio = self._port, self._audio, None, None
            if port is None:
                return
            if audio is not None:
                for source, sink in ((audio, port), (port, audio)):
                    try:
                        source.stopTransmit(sink)
                    except Exception:
                        pass
            self._phone._retired_ports.append(port)

        def release(self) -> None:
            """Before the library goes: the port off the bridge, the leg ended and detached (legs
            outlive the library; their calls must not)."""
            self.release_media()
            self.leg.update(CallStatus(CallState.ENDED, self.leg.status.code, "phone closed"))
            self.control.detach()

    class LogWriter(pj.LogWriter):
        """pjsua2's log lines to openhear's log (debug), from any of pjsua2's threads."""

        def write(self, entry: Any) -> None:
            try:
                log.debug("sip: %s", entry.msg.rstrip())
            except Exception:
                pass

    return {"Account": Account, "Call": Call, "Port": Port, "LogWriter": LogWriter}
