"""`sendtrail export`, `sendtrail sar` and `sendtrail verify`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api import la_requests
from api.bootstrap import open_exporter, open_records
from api.crash_points import Step, crash_at
from api.exit_codes import EXIT_FAILED, EXIT_REFUSED, EXIT_SIGNER_UNKNOWN
from api.settings import Settings
from exporters.archive import ArchiveError, read_zip
from exporters.bundle import Bundle, ExportError
from exporters.durable_file import durable_writer
from exporters.pdf_proof import PdfProofError, bundle_of, same_pages, with_bundle
from exporters.trust import Anchor, TrustStore, TrustStoreError, installation_anchor
from exporters.verify import (
    DEFAULT_PROOF_FILE,
    PROOF_MARKER,
    VerificationError,
    verify_bundle,
    with_proof,
)
from exporters.verify_explain import explain
from exporters.verify_words import described_lines
from ledger.cosignature import CosignatureError, Witness, parse_witness
from ledger.keys import EXPORTER_KEY, LOG_KEY, KeyFileError, key_paths, load_public

console = Console()


def export(
    child: Annotated[str, typer.Argument(help="Child id (or a unique prefix).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the zip.")],
    as_of: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="World date (default today).")
    ] = None,
    known_at: Annotated[
        datetime | None,
        typer.Option(help="Record time, ISO 8601 with zone (default: everything recorded)."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Reason for the EHC request.")] = None,
    pdf: Annotated[bool, typer.Option(help="Include the PDF report.")] = True,
    tsa: Annotated[
        str | None,
        typer.Option(help="RFC 3161 timestamp authority URL: adds a trusted time (online)."),
    ] = None,
    la: Annotated[
        str | None,
        typer.Option("--la", help="Add this LA's pre-filled request (see `profiles list`)."),
    ] = None,
    pages: Annotated[
        int | None, typer.Option(min=1, max=500, help="Keep that request within N pages.")
    ] = None,
    tribunal: Annotated[
        bool, typer.Option(help="SEND Tribunal limits for that request (75 pages).")
    ] = False,
    report_pdf: Annotated[
        Path | None,
        typer.Option(
            help="Also write the report as a PDF that carries the signed bundle inside it "
            "(for portals that take only a PDF; `sendtrail verify` checks it)."
        ),
    ] = None,
) -> None:
    """Write a signed evidence bundle for one child and record that it was exported."""
    from api.cli_la import la_profile, require_zone

    settings = Settings()
    request = la_requests.la_request(la_profile(settings, la), pages, tribunal) if la else None
    require_zone(known_at)
    bundle = _export_to(
        settings,
        output,
        child,
        pdf,
        as_of=as_of.date() if as_of else None,
        known_at=known_at,
        reason=reason,
        tsa_url=tsa,
        la=request,
    )
    console.print(
        f"Wrote {output} ({len(bundle.content):,} bytes, sha256 {bundle.sha256}): "
        f"{bundle.admitted} of {bundle.listed} entries admitted as of {bundle.as_of} "
        f"known at {bundle.known_at.isoformat()}, checkpoint {bundle.checkpoint_size}."
    )
    if report_pdf is not None:
        inside = read_zip(bundle.content).get("data/report.pdf")
        if inside is None:
            console.print("[red]No PDF report in the bundle[/red] (exported with --no-pdf)")
            raise typer.Exit(EXIT_REFUSED)
        report_pdf.write_bytes(with_bundle(inside, bundle.content))
        console.print(f"Wrote {report_pdf}: the report, with the signed bundle inside it.")
    if request is not None:
        console.print(
            f"With {request.profile.profile.name}'s pre-filled request (data/la-request.*)."
        )
    if bundle.timestamp is not None:
        console.print(
            f"Timestamped by {bundle.timestamp.authority} at "
            f"{bundle.timestamp.gen_time.isoformat()} (RFC 3161)."
        )


def _export_to(settings: Settings, output: Path, child: str, pdf: bool, **how: Any) -> Bundle:
    """Export one child's bundle (`how`: the exporter's options) to `output`, written whole
    before the export is recorded; exit 2 with the reason when it cannot be made."""
    from api.cli import resolve_child  # the one place ids are resolved

    deliver = _Writer(output, crash_at(settings.test_crash_at))
    records = open_records(settings)
    try:
        exporter = open_exporter(records, settings, pdf=pdf)
        child_id = resolve_child(list(records.child_ids(include_erased=True)), child)
        return exporter.export(child_id, deliver=deliver, **how)
    except (ExportError, KeyFileError) as error:
        console.print(f"[red]Cannot export:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from None
    except BaseException:
        _unrecorded(output, deliver)
        raise
    finally:
        records.close()


class _Writer:
    """Writes a bundle to `output` whole (temporary file beside it, fsync, rename) before
    the export is recorded; remembers whether it did."""

    def __init__(self, output: Path, step: Step) -> None:
        self.output = output
        self.step = step
        self.wrote = False

    def __call__(self, bundle: Bundle) -> None:
        with durable_writer(self.output) as out:
            out.write(bundle.content)
            self.step("bundle-temp-written")  # all bytes in the temporary file, not renamed
        self.wrote = True
        self.step("bundle-written")


def _unrecorded(output: Path, deliver: _Writer) -> None:
    """The export could not be recorded after its file was written: remove the file, so
    no bundle leaves that the record does not show."""
    if deliver.wrote:
        output.unlink(missing_ok=True)
        console.print(f"[red]The export was not recorded: {output} was removed.[/red]")


def sar(
    child: Annotated[str, typer.Argument(help="Child id (or a unique prefix).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the zip.")],
    pdf: Annotated[bool, typer.Option(help="Include the PDF report.")] = True,
) -> None:
    """A subject access bundle for a parent: the whole record, signed and verifiable,
    with entries flagged as third-party information withheld and listed as redactions."""

    bundle = _export_to(
        Settings(), output, child, pdf, as_of=None, known_at=None, reason=None, subject_access=True
    )
    console.print(
        f"Wrote {output} ({len(bundle.content):,} bytes, sha256 {bundle.sha256}): "
        f"{bundle.admitted} of {bundle.listed} entries given, the rest withheld as "
        "third-party information (listed in data/redactions.json)."
    )


def verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle zip.")],
    key: Annotated[Path | None, typer.Option(help="Exporter public key (PEM) to trust.")] = None,
    log_key: Annotated[Path | None, typer.Option(help="Log public key (PEM) to trust.")] = None,
    checkpoint: Annotated[
        Path | None, typer.Option(help="A later checkpoint (`sendtrail checkpoint`'s output).")
    ] = None,
    consistency_proof: Annotated[
        Path | None,
        typer.Option(help="The proof from the bundle's checkpoint to --checkpoint (--proof-out)."),
    ] = None,
    tsa_cert: Annotated[
        Path | None,
        typer.Option(help="TSA certificate (PEM or DER) the timestamp must be signed with."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(help="A witness to require: 'NAME PUBLIC-KEY-BASE64' (repeat)."),
    ] = None,
    witnesses_required: Annotated[
        int | None,
        typer.Option(help="How many of the --witness cosignatures must check out (default all)."),
    ] = None,
) -> None:
    """Check a bundle offline; exit 1 with one line naming the first failure."""
    try:
        data = bundle.read_bytes()
        pdf = data if data.startswith(b"%PDF") else None
        if pdf is not None:  # a report carrying its bundle: check the bundle, then the pages
            data = bundle_of(pdf)
            signed = read_zip(data).get("data/report.pdf")
            if signed is None or not same_pages(pdf, signed):
                typer.echo(
                    "NOT VERIFIED: the PDF's pages are not the report signed in the bundle "
                    "it carries"
                )
                raise typer.Exit(EXIT_FAILED)
        signer = load_public(key) if key else None
        logger = load_public(log_key) if log_key else None
        if consistency_proof is not None and checkpoint is None:
            raise VerificationError(
                "--consistency-proof is the proof to a later checkpoint: give --checkpoint too",
                where="--consistency-proof",
            )
        later = checkpoint.read_text() if checkpoint else None
        if checkpoint is not None and consistency_proof is None:
            consistency_proof = _proof_beside(checkpoint)
        if later is not None and consistency_proof is not None:
            later = with_proof(later, consistency_proof.read_bytes())
        tsa = tsa_cert.read_bytes() if tsa_cert else None
        settings = Settings()
        anchors = [*own_anchor(settings), *TrustStore(settings.trust_store_path).anchors()]
        required = [_witness(text) for text in witness or []]
        result = verify_bundle(
            data,
            key=signer,
            log_key=logger,
            later_checkpoint=later,
            tsa_cert=tsa,
            anchors=anchors,
            given="the keys given (--key, --log-key)",
            witnesses=required,
            witnesses_required=len(required) if witnesses_required is None else witnesses_required,
        )
    except (TrustStoreError, PdfProofError, ArchiveError) as error:
        typer.echo(f"NOT VERIFIED: {error}")
        raise typer.Exit(EXIT_FAILED) from None
    except (OSError, KeyFileError) as error:
        typer.echo(f"NOT VERIFIED: cannot read input: {error}")
        raise typer.Exit(EXIT_FAILED) from None
    except VerificationError as error:
        plain = explain(error)
        typer.echo(
            f"NOT VERIFIED: {error.where}: {error.reason}\n  {plain['heading']}. {plain['meaning']}"
        )
        raise typer.Exit(EXIT_FAILED) from None
    trust = f"; trusted through {result.trust_anchor}" if result.trust_anchor else ""
    if result.witnessed_by:
        trust += f"; checkpoint witnessed by {', '.join(result.witnessed_by)}"
    trust += f"; the record as of {result.as_of}, as known at {result.known_at}"
    later = (
        f"; consistent with the later checkpoint of {result.later_checkpoint_size} entries"
        if result.later_checkpoint_size is not None
        else ""
    )
    withheld = (
        f" ({result.entries_withheld} withheld as third-party information)"
        if result.entries_withheld
        else ""
    )
    if result.trust_anchor is None:
        typer.echo(
            f"INTACT, SIGNER UNKNOWN: child {result.child_id}: the bundle is whole and "
            f"consistent ({result.entries_admitted} of {result.entries_listed} entries, "
            f"signed log of {result.checkpoint_size} entries), but it was checked only with "
            "the public keys it carries, which a forger can replace. Compare these "
            "fingerprints with the ones the setting published (its keys page, `sendtrail "
            "keys status`), then `sendtrail trust add NAME --signer FP --log FP` or pass "
            f"--key and --log-key:\n  signer (exporter) key {result.signer_key_id}\n"
            f"  log key             {result.log_key_id}\nWhat the bundle says of itself "
            "(not vouched for by anyone you trust):"
        )
        typer.echo("\n".join(described_lines(result)))
        raise typer.Exit(EXIT_SIGNER_UNKNOWN)
    typer.echo(
        f"VERIFIED: child {result.child_id}: {result.entries_admitted} of "
        f"{result.entries_listed} entries admitted{withheld}, all in the signed log of "
        f"{result.checkpoint_size} entries (root {result.root[:16]}...), signed by "
        f"{result.signer_key_id[:16]}...{later}{trust}"
    )
    typer.echo("\n".join(described_lines(result)))
    if result.la_request is not None:
        typer.echo(
            f"LA REQUEST: pre-filled for profile {result.la_request}; every entry it cites "
            "is in this bundle"
        )
    if result.timestamped_at is not None:
        pinned = (
            ""
            if tsa_cert
            else " (certificate from the token: check it against the TSA's root, "
            "see VERIFY.txt step 4, or pass --tsa-cert)"
        )
        typer.echo(
            f"TRUSTED TIME: signed by {result.timestamped_at.isoformat()} according to "
            f"{result.timestamp_authority}{pinned}"
        )


def _proof_beside(note: Path) -> Path | None:
    """`checkpoint --proof-from`'s proof under its default name, beside the later checkpoint
    or here, when --consistency-proof was not given (the proof is checked all the same)."""
    if PROOF_MARKER in note.read_text():
        return None  # a later checkpoint written with its proof after it (before 2026-12)
    for folder in (note.parent, Path.cwd()):
        found = folder / DEFAULT_PROOF_FILE
        if found.is_file():
            return found
    return None


def _witness(text: str) -> Witness:
    """A witness from 'NAME PUBLIC-KEY-BASE64' (as `sendtrail witness key` prints it)."""
    try:
        return parse_witness(text)
    except CosignatureError as error:
        typer.echo(f"NOT VERIFIED: --witness: {error}")
        raise typer.Exit(EXIT_REFUSED) from None


def own_anchor(settings: Settings) -> list[Anchor]:
    """This installation's own keys, when `verify` runs where they are (the setting's own
    machine): its bundles are checked against them, never against the bundle's."""
    try:
        signer = load_public(key_paths(settings.keys_dir, EXPORTER_KEY).public)
        log = load_public(key_paths(settings.keys_dir, LOG_KEY).public)
    except KeyFileError:
        return []
    return [installation_anchor(signer, log, settings.log_origin)]
