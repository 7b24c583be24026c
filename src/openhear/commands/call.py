"""`openhear call`: a phone call with captions. Their words are shown as text, your typed replies
are spoken into the call, and everything is saved as a conversation.

- `openhear call sip:user@host[:port]`: dial a SIP address (directly, no account needed).
- `openhear call NUMBER`: dial a number through your SIP account (set it up first).
- `openhear call --answer`: wait for a call and answer it.
- `openhear call --setup`: save your SIP account (address, registrar, user name, password),
  readable only by you. The password can also come from the OPENHEAR_SIP_PASSWORD variable.

During the call, type a line and press Enter to say it; a line of only digits, * and # presses
those keys (for phone menus). Ctrl-C hangs up. See `openhear transcripts` for saved calls.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, BinaryIO

from openhear.calls import ANSWER_TIMEOUT_S, DIAL_TIMEOUT_S
from openhear.commands._shared import model_choice, profanity_mask
from openhear.commands._signals import stop_on_signals
from openhear.commands.converse import add_relay_arguments, disclosure_text, relay_captioner
from openhear.commands.speak import add_voice_arguments, speech_options

HOLD_LINES = {
    True: "on hold: the other side has put the call on hold (captions go on if they speak)",
    False: "call resumed",
}
"""What is said when the other side puts the call on hold, and when it takes it back."""

if TYPE_CHECKING:  # imported where used, so that `--help` answers without loading pjsua2
    from openhear.asr.whisper import WhisperTranscriber
    from openhear.calls.account import SipAccount
    from openhear.calls.leg import CallLeg, CallStatus
    from openhear.calls.phone import Phone
    from openhear.calls.relay import CallRelay
    from openhear.commands.converse import Printer
    from openhear.relay.store import TranscriptStore
    from openhear.tts.piper import PiperSynthesizer


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "call",
        parents=[common],
        help="a phone call (SIP) with their words captioned and your typed replies spoken",
        description=__doc__.split("\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "target", nargs="?", metavar="ADDRESS|NUMBER", help="sip:user@host[:port], or a number"
    )
    p.add_argument("--answer", action="store_true", help="wait for a call and answer it")
    p.add_argument("--setup", action="store_true", help="save your SIP account, then exit")
    p.add_argument(
        "--no-account",
        action="store_true",
        help="ignore the saved account: a direct call to a SIP address",
    )
    p.add_argument(
        "--port",
        type=int,
        metavar="PORT",
        help="local SIP port (default: 5060 with --answer, else any free port)",
    )
    p.add_argument(
        "--bind",
        default="",
        metavar="ADDRESS",
        help="local address to listen on (default: every interface)",
    )
    p.add_argument(
        "--tls-ca",
        metavar="FILE",
        help="PEM certificates to trust for TLS calls (a PBX's own; default: the system's)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"give up on a call not answered in SECONDS (default {DIAL_TIMEOUT_S:g}); "
        "with --answer, on waiting for a call (default: wait until Ctrl-C)",
    )
    p.add_argument(
        "--duration", type=float, metavar="SECONDS", help="hang up after SECONDS of call"
    )
    p.add_argument(
        "--replies", metavar="FILE", help="read typed replies from FILE instead of stdin"
    )
    add_relay_arguments(p, when="when the call connects")
    add_voice_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from openhear.errors import UsageError

    if args.setup:
        if args.target or args.answer:
            raise UsageError("--setup saves the account only: give no address and no --answer")
        return _setup()
    if args.answer == bool(args.target):
        raise UsageError("say whom to call (sip:user@host or a number), or --answer")
    for name in ("timeout", "duration"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise UsageError(f"--{name} needs a positive number of seconds")
    if args.port is not None and not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is out of range (1 to 65535)")
    model_choice(args)  # an English-only --model with another --language fails before the call
    profanity_mask(args)
    account, target = _account_and_target(args)
    return _call(args, account, target)


def _account_and_target(args: argparse.Namespace) -> tuple[SipAccount | None, str | None]:
    """The account to use (None: direct) and the SIP address to dial (None with --answer)."""
    from openhear.calls import CallError
    from openhear.calls.account import PASSWORD_ENV, load_account
    from openhear.calls.address import call_target

    account = None if args.no_account else load_account()
    if account is not None and not account.password:
        raise CallError(
            f"no password for {account.uri}: set {PASSWORD_ENV} or run `openhear call --setup`"
        )
    target = None
    if args.target:
        target = call_target(args.target, account.uri if account else None)
    return account, target


def _call(args: argparse.Namespace, account: SipAccount | None, target: str | None) -> int:
    from openhear.calls.address import over_tls
    from openhear.calls.phone import Phone, PhoneOptions
    from openhear.commands._shared import load_choice, open_replies
    from openhear.commands.converse import Printer
    from openhear.relay.store import TranscriptStore
    from openhear.tts.piper import load_voice

    speech_options(args)  # bad voice options fail before the call
    replies = open_replies(args.replies or "-")
    assert replies is not None  # "-" is stdin
    printer = Printer(args.quiet)
    options = PhoneOptions(
        port=args.port if args.port is not None else (5060 if args.answer else 0),
        bind_address=args.bind,
        account=account,
        answer=args.answer,
        tls=target is not None and over_tls(target),
        tls_ca_file=args.tls_ca or "",
        verbose=args.verbose,
    )
    store = TranscriptStore()
    loading = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="openhear-load")
    try:
        with store, Phone(options) as phone:
            # The voice and the captioner load while the call is placed or awaited.
            voice = loading.submit(load_voice, args.voice)
            transcriber = loading.submit(load_choice, model_choice(args), args.language)
            leg, connected = _connect(args, phone, target, printer)
            printer.status(f"connected ({connected.codec_text()})")
            _relay(args, leg, store, voice.result(), transcriber.result(), printer, replies)
    finally:  # a call that failed does not wait for the models
        loading.shutdown(wait=False, cancel_futures=True)
    return 0


def _relay(
    args: argparse.Namespace,
    leg: CallLeg,
    store: TranscriptStore,
    voice: PiperSynthesizer,
    transcriber: WhisperTranscriber,
    printer: Printer,
    replies: BinaryIO,
) -> None:
    """The connected call's conversation, until either side hangs up."""
    from openhear.calls.relay import CallRelay
    from openhear.relay.replies import ReplyReader, read_replies
    from openhear.relay.session import RelayOptions

    options = RelayOptions(
        disclosure=disclosure_text(args),
        speech=speech_options(args),
        title=args.title or f"call: {leg.remote_uri}",
    )
    relay = CallRelay(
        leg,
        store,
        relay_captioner(args, transcriber),
        voice,
        options,
        on_event=printer.show,
        on_note=lambda note: printer.status(note, warning=True),
    )
    printer.status(
        f"conversation {relay.session.id} started; type a reply and press Enter, Ctrl-C hangs up"
    )
    leg.on_hold(lambda held: printer.status(HOLD_LINES[held], warning=True))
    relay.start()
    reader = ReplyReader(read_replies(replies), on_reply=lambda reply: relay.type(reply.text))
    try:
        with _hang_up_on_signals(relay):
            relay.run(reader.due, args.duration)
    finally:
        relay.close()
    who = "you" if leg.status.hung_up_by_us else "they"
    printer.status(
        f"call ended ({who} hung up); conversation {relay.session.id} saved "
        f"(`openhear transcripts show {relay.session.id}`)"
    )


def _hang_up_on_signals(relay: CallRelay) -> AbstractContextManager[None]:
    """While the call runs, Ctrl-C (SIGINT) and SIGTERM hang up cleanly, so the captions of what was
    heard are committed; a second Ctrl-C interrupts at once."""

    def hang_up() -> None:
        relay.hang_up_requested = True

    return stop_on_signals(hang_up)


def _connect(
    args: argparse.Namespace, phone: Phone, target: str | None, printer: Printer
) -> tuple[CallLeg, CallStatus]:
    """The call, connected (dialled and answered, or incoming and answered), and its status then
    (the codec: by the time it is shown the call may have ended already); else a CallError."""
    from openhear.calls import CallError
    from openhear.calls.leg import wait_connected

    if target is None:
        printer.status(f"waiting for a call on SIP port {phone.local_port}; Ctrl-C stops")
        leg = phone.next_incoming(args.timeout)
        if leg is None:
            raise CallError(f"no call came in within {args.timeout:g} s")
        if sys.stderr.isatty():
            print("\a", end="", file=sys.stderr, flush=True)  # the terminal's bell, or its flash
        printer.status(f"incoming call from {leg.remote_uri}: answering")
        leg.answer()
        timeout_s = ANSWER_TIMEOUT_S
    else:
        printer.status(f"calling {target}")
        leg = phone.dial(target)
        timeout_s = args.timeout or DIAL_TIMEOUT_S
    status = wait_connected(leg, timeout_s, on_ringing=lambda: printer.status("ringing"))
    return leg, status


def _setup() -> int:
    """Ask for the account on stdin (the password without echo on a terminal) and save it 0600."""
    import getpass

    from openhear.calls import CallError
    from openhear.calls.account import (
        PASSWORD_ENV,
        SRTP_MODES,
        TRANSPORTS,
        SipAccount,
        save_account,
    )
    from openhear.calls.address import check_sip_uri

    def ask(prompt: str, default: str = "") -> str:
        shown = f" [{default}]" if default else ""
        print(f"{prompt}{shown}: ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            raise CallError("setup cancelled: no answer (end of input)")
        return line.strip() or default

    uri = check_sip_uri(ask("Your SIP address (e.g. sip:alice@example.com)"))
    probe = SipAccount(uri)
    registrar = ask("Registrar", probe.registrar_uri)
    user = ask("User name", probe.user_name)
    transport = ask(f"Transport ({', '.join(TRANSPORTS)})", "udp").lower()
    srtp = ask(f"Encrypted audio, SRTP ({', '.join(SRTP_MODES)})", "optional").lower()
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password (empty: take it from {PASSWORD_ENV}): ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    account = SipAccount(uri, registrar, user, transport, srtp, password)
    path = save_account(account)
    where = "saved in it" if password else f"not saved: set {PASSWORD_ENV}"
    print(
        f"openhear: account saved to {path} (readable only by you; password {where})",
        file=sys.stderr,
    )
    return 0
