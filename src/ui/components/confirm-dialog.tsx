/**
 * A question before an action, asked in the page: a modal `<dialog>` opened with `showModal()` while the
 * component is mounted, so the page behind it is inert and Escape cancels. Its heading names it and its
 * description describes it to screen readers; focus moves in when it opens and back to the opener when
 * it goes. Confirming runs `onConfirm`: meanwhile the buttons are disabled and Escape is ignored, and if
 * it fails the dialog stays open with the reason, so the user can try again or cancel.
 */
import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { errorText } from './error-note.js';

export interface ConfirmDialogProps {
  title: string;
  /** Text under the heading, also the dialog's accessible description. */
  description?: string;
  /** Fields between the description and the buttons. */
  children?: ComponentChildren;
  confirmLabel: string;
  /** The confirm button's words while `onConfirm` runs. @default t('common.working') */
  busyLabel?: string;
  /** A destructive action: the confirm button is red. @default false */
  danger?: boolean;
  /** Checked before `onConfirm`: a message to show instead of sending anything, or null. */
  validate?: () => string | null;
  /** The action; its rejection is shown in the dialog, its resolution closes it. */
  onConfirm(): Promise<void>;
  /** The dialog is done: confirmed, cancelled or dismissed with Escape. The parent unmounts it. */
  onClose(): void;
  /** Focused when the dialog opens. @default the Cancel button */
  initialFocus?: RefObject<HTMLElement | null>;
  testId?: string;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const alive = useRef(true);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  /** Counts refusals, so that each one puts the focus back where the user can act on it. */
  const [refusals, setRefusals] = useState(0);
  const id = useId();
  const titleId = `${id}-title`;
  const descriptionId = `${id}-description`;

  useEffect(() => {
    const opener = document.activeElement;
    const el = dialog.current;
    el?.showModal();
    (props.initialFocus?.current ?? cancel.current)?.focus();
    return () => {
      alive.current = false;
      // Out of the top layer first: while the dialog is modal the page behind it is inert and refuses focus.
      if (el?.open === true) el.close();
      // The opener may be gone (a revoked exemption leaves the active list); focus then stays where it falls.
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
    // Opening is a one-time effect of mounting; later prop changes do not reopen the dialog.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    // The confirm button had the focus and was disabled meanwhile; once the buttons are enabled again,
    // focus the field to correct (or Cancel) rather than leave it nowhere.
    if (refusals > 0) (props.initialFocus?.current ?? cancel.current)?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refusals]);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy) return;
    const invalid = props.validate?.() ?? null;
    if (invalid !== null) {
      setProblem(invalid);
      setRefusals((n) => n + 1);
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await props.onConfirm();
    } catch (err) {
      if (alive.current) {
        setProblem(errorText(err));
        setBusy(false);
        setRefusals((n) => n + 1);
      }
      return;
    }
    if (alive.current) props.onClose();
  };

  const onCancel = (ev: Event) => {
    // Escape: the dialog is closed by re-rendering without it, not by the browser, so the page's state
    // and the element never disagree.
    ev.preventDefault();
    if (!busy) props.onClose();
  };

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby={titleId} aria-describedby={props.description === undefined ? undefined : descriptionId}
      onCancel={onCancel} onClose={() => { if (alive.current) props.onClose(); }} data-testid={props.testId}>
      <form class="dialog-body" method="dialog" noValidate onSubmit={submit}>
        <h2 id={titleId}>{props.title}</h2>
        {props.description !== undefined && <p id={descriptionId} class="dialog-text">{props.description}</p>}
        {props.children}
        {problem !== null && <p class="note note-error" role="alert" data-testid="dialog-problem">{problem}</p>}
        <div class="dialog-actions">
          <button ref={cancel} type="button" class="btn" disabled={busy} onClick={() => props.onClose()} data-testid="dialog-cancel">
            {t('common.cancel')}
          </button>
          <button type="submit" class={`btn ${props.danger === true ? 'btn-danger-solid' : 'btn-primary'}`} disabled={busy} data-testid="dialog-confirm">
            {busy ? (props.busyLabel ?? t('common.working')) : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
