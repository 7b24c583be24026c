"""The far end of a test call: a SIP user agent built on pjsua2 alone (none of openhear's code), run
in its own process (pjsua2 allows one Endpoint per process) on 127.0.0.1.

It answers the first call (or dials `--call URI`), plays `--play WAV` once the call is up, records
what it hears to `--record WAV`, and reports on stdout, one JSON object a line: ready (with its
port), incoming, connected (with the codec), dtmf (each digit received as an RFC 2833 event),
sound (the start of a burst of sound from the other side) and heard (its end, once QUIET_S of
quiet has followed), playing and played (the WAV began and ended), media (the call's audio after a
re-INVITE: its status, "active" or "local hold"), disconnected (with the SIP status code), and
finally done. Times `t` are time.monotonic(), which every process on the machine shares. Commands
on stdin, one a line: `hangup`; `hold` (a re-INVITE with sendonly audio: the player goes on, as
music on hold would) and `resume` (a re-INVITE that takes the hold back). It exits when the call
ends (or on `--exit-after` seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time

import pjsua2 as pj

CODECS = {
    "g722": ["G722/16000/1", "PCMU/8000/1", "PCMA/8000/1"],
    "pcmu": ["PCMU/8000/1"],
    "pcma": ["PCMA/8000/1"],
}
"""Codecs the peer offers or accepts, best first; every other codec is disabled."""

HOLD_STATUS = {pj.PJSUA_CALL_MEDIA_ACTIVE: "active", pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local hold"}
"""The statuses of a connected call's audio the peer reports after a re-INVITE."""
SOUND_LEVEL = 5
"""Signal level (pjmedia's 0 to 255) above which the other side is making a sound."""
QUIET_S = 1.5
"""Quiet this long after a sound ends a burst (longer than the pauses between sentences)."""

events: queue.SimpleQueue = queue.SimpleQueue()
"""Things the media threads report, handled on the main thread."""


def report(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class Player(pj.AudioMediaPlayer):
    def onEof2(self) -> None:
        events.put(("played",))


class Call(pj.Call):
    def __init__(self, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(account, call_id)
        self.connected = False

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()  # here: once the call is gone, it has no info
        events.put(("state", info.state, info.lastStatusCode, info.lastReason))

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        events.put(("media",))

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        events.put(("dtmf", prm.digit))


class Account(pj.Account):
    def __init__(self) -> None:
        super().__init__()
        self.incoming: list[Call] = []

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self.incoming.append(Call(self, prm.callId))


def read_commands(commands: queue.SimpleQueue) -> None:
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put("eof")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--transport", choices=["udp", "tcp", "tls"], default="udp")
    parser.add_argument("--cert", metavar="PEM", help="certificate and key for --transport tls")
    parser.add_argument("--call", metavar="URI")
    parser.add_argument(
        "--answer-code", type=int, default=200, help="answer with this code; 0: let it ring"
    )
    parser.add_argument("--codec", choices=sorted(CODECS), default="g722")
    parser.add_argument("--srtp", choices=["off", "optional", "mandatory"], default="off")
    parser.add_argument("--play", metavar="WAV")
    parser.add_argument("--record", metavar="WAV")
    parser.add_argument("--hangup-after-play", action="store_true")
    parser.add_argument("--exit-after", type=float, default=120.0)
    args = parser.parse_args()

    ep = pj.Endpoint()
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pjlib's start-up lines go to stdout, before any log setting applies
    ep.libCreate()
    os.dup2(saved, 1)
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    cfg.medConfig.clockRate = 16000
    cfg.medConfig.sndClockRate = 16000
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    wanted = CODECS[args.codec]
    for codec in ep.codecEnum2():
        priority = 255 - wanted.index(codec.codecId) if codec.codecId in wanted else 0
        ep.codecSetPriority(codec.codecId, priority)
    tcfg = pj.TransportConfig()
    tcfg.port = args.port
    tcfg.boundAddress = "127.0.0.1"
    kinds = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP}
    kinds["tls"] = pj.PJSIP_TRANSPORT_TLS
    if args.cert:
        tcfg.tlsConfig.certFile = tcfg.tlsConfig.privKeyFile = args.cert
        tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
    ep.transportCreate(kinds[args.transport], tcfg)
    ep.libStart()
    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:peer@127.0.0.1:{args.port}"
    acfg.mediaConfig.srtpUse = {
        "off": pj.PJMEDIA_SRTP_DISABLED,
        "optional": pj.PJMEDIA_SRTP_OPTIONAL,
        "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
    }[args.srtp]
    acfg.mediaConfig.srtpSecureSignaling = 0
    account = Account()
    account.create(acfg)
    report("ready", port=args.port)

    commands: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    call: Call | None = None
    player = recorder = None
    if args.call:
        call = Call(account)
        prm = pj.CallOpParam(True)
        call.makeCall(args.call, prm)
    deadline = time.monotonic() + args.exit_after
    code = 0
    finished = False
    audio = None
    sound_since = last_sound = None  # the burst of sound being heard, monotonic seconds
    while not finished and time.monotonic() < deadline:
        ep.libHandleEvents(10)
        if audio is not None:  # what the other side says: report each burst once it ends
            now = time.monotonic()
            try:
                level = audio.getTxLevel()
            except pj.Error:  # the call's media went as the other side hung up: stop listening
                audio = None  # (the disconnected event follows; the clean-up below then runs)
                continue
            if level > SOUND_LEVEL:
                if sound_since is None:
                    report("sound", t=now)
                sound_since, last_sound = sound_since or now, now
            elif sound_since is not None and now - last_sound > QUIET_S:
                report("heard", seconds=round(last_sound - sound_since, 2))
                sound_since = last_sound = None
        if call is None and account.incoming:
            call = account.incoming.pop(0)
            report("incoming", remote=call.getInfo().remoteUri)
            if args.answer_code:
                prm = pj.CallOpParam()
                prm.statusCode = args.answer_code
                call.answer(prm)
        while True:
            try:
                command = commands.get_nowait()
            except queue.Empty:
                break
            if command == "hangup" and call is not None:
                call.hangup(pj.CallOpParam())
            elif command == "hold" and call is not None:
                call.setHold(pj.CallOpParam(True))
            elif command == "resume" and call is not None:
                prm = pj.CallOpParam(True)
                prm.opt.flag = pj.PJSUA_CALL_UNHOLD
                call.reinvite(prm)
        while True:
            try:
                event = events.get_nowait()
            except queue.Empty:
                break
            if event[0] == "dtmf":
                report("dtmf", digit=event[1])
            elif event[0] == "played":
                report("played")
                if args.hangup_after_play and call is not None:
                    call.hangup(pj.CallOpParam())
            elif event[0] == "media" and call is not None and not call.connected:
                info = call.getInfo()
                for i, media in enumerate(info.media):
                    if (
                        media.type == pj.PJMEDIA_TYPE_AUDIO
                        and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                    ):
                        audio = call.getAudioMedia(i)
                        audio.startTransmit(ep.audDevManager().getPlaybackDevMedia())
                        call.connected = True
                        stream = call.getStreamInfo(i)
                        srtp = "SRTP status: Active" in call.dump(True, "")
                        report(
                            "connected",
                            codec=stream.codecName,
                            rate=stream.codecClockRate,
                            srtp=srtp,
                        )
                        if args.record:
                            recorder = pj.AudioMediaRecorder()
                            recorder.createRecorder(args.record)
                            audio.startTransmit(recorder)
                        if args.play:
                            player = Player()
                            player.createPlayer(args.play, pj.PJMEDIA_FILE_NO_LOOP)
                            player.startTransmit(audio)
                            report("playing", t=time.monotonic())
            elif event[0] == "media" and call is not None and call.connected:
                # A re-INVITE (hold, resume): the audio is connected again (idempotent; the
                # stream may be a new one) to the player, the recorder and the level meter.
                info = call.getInfo()
                for i, media in enumerate(info.media):
                    status = HOLD_STATUS.get(media.status)
                    if media.type != pj.PJMEDIA_TYPE_AUDIO or status is None:
                        continue
                    try:
                        audio = call.getAudioMedia(i)
                        audio.startTransmit(ep.audDevManager().getPlaybackDevMedia())
                        if recorder is not None:
                            audio.startTransmit(recorder)
                        if player is not None:
                            player.startTransmit(audio)
                    except pj.Error:  # no audio stream (held as inactive)
                        audio = None
                    report("media", status=status)
                    break
            elif event[0] == "state" and event[1] == pj.PJSIP_INV_STATE_DISCONNECTED:
                code = event[2]
                report("disconnected", code=code, reason=event[3])
                finished = True
    # Media objects go before the library, or pjsua2 aborts in pjmedia_conf_remove_port.
    del player, recorder
    if call is not None and call.isActive():
        call.hangup(pj.CallOpParam())
        for _ in range(100):
            ep.libHandleEvents(10)
    del call
    account.incoming.clear()
    del account
    ep.libDestroy()
    report("done", code=code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
