/**
 * Sets a user's password from the Users page: a {@link ConfirmDialog} with one new-password field,
 * checked by the server's length rule before it is sent; a refusal by the server is shown in the dialog.
 */
import { useId, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { passwordProblem } from '../password-rule.js';
import { ConfirmDialog } from './confirm-dialog.js';

export function PasswordDialog(props: { username: string; onSave(password: string): Promise<void>; onClose(): void }) {
  const [password, setPassword] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const validate = () => {
    const problem = passwordProblem(password);
    return problem === null ? null : t(problem);
  };
  return (
    <ConfirmDialog
      title={t('users.newPassword', { user: props.username })}
      description={t('users.newPassword.explain')}
      confirmLabel={t('users.newPassword.save')}
      busyLabel={t('common.saving')}
      validate={validate}
      onConfirm={() => props.onSave(password)}
      onClose={props.onClose}
      initialFocus={input}
      testId="password-dialog"
    >
      <div class="field">
        <label for={`${id}-input`}>{t('users.newPassword.label')}</label>
        <input ref={input} id={`${id}-input`} name="new-password" type="password" autocomplete="new-password" required
          aria-describedby={`${id}-help`} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <small id={`${id}-help`} class="muted">{t('users.password.help')}</small>
      </div>
    </ConfirmDialog>
  );
}
