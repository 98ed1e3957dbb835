import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';

/** JSON schemas shared by the routes. Instants go out as UTC ISO strings. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const IsoString = Type.String({ description: 'ISO 8601 instant' });

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Array(Type.Unknown())),
  }),
});

/** Responses every route may give besides its success. */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);

export const UserBody = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: IsoString,
  updatedAt: IsoString,
});

export const SessionBody = Type.Object({
  user: Type.Object({ username: Type.String(), role: RoleSchema }),
  csrfToken: Type.String(),
});

export const ExemptionBody = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  groups: Type.Array(Type.String()),
  clients: Type.Array(Type.String()),
  allow: Type.Array(Type.String()),
  from: Nullable(IsoString),
  until: IsoString,
  reason: Type.String(),
  createdBy: Type.String(),
  createdAt: IsoString,
  revokedAt: Nullable(IsoString),
  revokedBy: Nullable(Type.String()),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
});

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
