/**
 * The policy YAML editor for admins: a plain textarea with a line-number gutter. The server validates
 * each save; the problems it reports are listed with their line and marked in the gutter, and a click
 * on one puts the cursor on that line.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { PolicyIssue } from '../api-types.js';
import { t } from '../i18n.js';
import { ErrorNote, errorText, Loading } from './error-note.js';

function issuesOf(err: unknown): PolicyIssue[] | null {
  if (!(err instanceof ApiError) || err.code !== 'POLICY_INVALID') return null;
  const details = err.detail['details'];
  if (!Array.isArray(details)) return [{ message: err.message }];
  return details.map((d: unknown) => {
    const o = (typeof d === 'object' && d !== null ? d : {}) as Record<string, unknown>;
    const issue: PolicyIssue = { message: typeof o['message'] === 'string' ? o['message'] : String(d) };
    if (typeof o['line'] === 'number') issue.line = o['line'];
    if (typeof o['column'] === 'number') issue.column = o['column'];
    if (typeof o['path'] === 'string') issue.path = o['path'];
    return issue;
  });
}

export function YamlEditor(props: { onSaved(): void }) {
  const [original, setOriginal] = useState<string | null>(null);
  const [file, setFile] = useState('');
  const [text, setText] = useState('');
  const [loadError, setLoadError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [issues, setIssues] = useState<PolicyIssue[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLPreElement>(null);

  const load = () => {
    setLoadError(null);
    api.get<{ text: string; file: string }>('/api/policy/yaml').then((r) => {
      setOriginal(r.text);
      setText(r.text);
      setFile(r.file);
      setIssues([]);
    }, setLoadError);
  };
  useEffect(load, []);

  const save = async () => {
    setBusy(true);
    setMessage(null);
    try {
      await api.put('/api/policy/yaml', { text });
      setOriginal(text);
      setIssues([]);
      setMessage({ ok: true, text: t('policy.edit.saved') });
      props.onSaved();
    } catch (err) {
      const found = issuesOf(err);
      if (found !== null) {
        setIssues(found);
        setMessage({ ok: false, text: t('policy.edit.invalid', { count: found.length }) });
      } else {
        setIssues([]);
        setMessage({ ok: false, text: errorText(err) });
      }
    } finally {
      setBusy(false);
    }
  };

  const goToLine = (line: number, column = 1) => {
    const el = area.current;
    if (el === null) return;
    const lines = el.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
    offset += Math.max(0, column - 1);
    el.focus();
    el.setSelectionRange(offset, offset);
    const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
    el.scrollTop = Math.max(0, (line - 4) * lineHeight);
  };

  if (original === null) return loadError !== null ? <ErrorNote error={loadError} onRetry={load} /> : <Loading />;

  const lineCount = text.split('\n').length;
  const bad = new Set(issues.map((i) => i.line).filter((l): l is number => l !== undefined));
  const changed = text !== original;

  return (
    <div class="yaml-editor" data-testid="yaml-editor">
      <p class="muted">{t('policy.edit.help')} <code>{file}</code></p>
      <div class="editor-frame">
        <pre class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => <span key={i} class={bad.has(i + 1) ? 'bad' : undefined}>{i + 1}{'\n'}</span>)}
        </pre>
        <textarea ref={area} spellcheck={false} autocapitalize="off" autocomplete="off" wrap="off"
          aria-label={t('policy.edit')} data-testid="yaml-text"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onScroll={(e) => {
            if (gutter.current !== null) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }} />
      </div>
      {message !== null && (
        <div class={`note ${message.ok ? 'note-ok' : 'note-error'}`} role={message.ok ? 'status' : 'alert'} data-testid="yaml-message">
          <p>{message.text}</p>
          {issues.length > 0 && (
            <ul class="issues">
              {issues.map((i, n) => (
                <li key={n}>
                  {i.line !== undefined && (
                    <button type="button" class="linklike" onClick={() => goToLine(i.line ?? 1, i.column ?? 1)}>
                      {t('policy.edit.line', { line: i.line })}
                    </button>
                  )}
                  {' '}{i.path !== undefined && <code>{i.path}</code>} {i.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div class="actions">
        <button type="button" class="btn btn-primary" disabled={busy || !changed} onClick={save} data-testid="yaml-save">
          {busy ? t('policy.edit.saving') : t('policy.edit.save')}
        </button>
        <button type="button" class="btn" disabled={busy || !changed} onClick={() => { setText(original); setIssues([]); setMessage(null); }}>
          {t('policy.edit.reset')}
        </button>
        {changed && <span class="muted">{t('policy.edit.changed')}</span>}
      </div>
    </div>
  );
}
