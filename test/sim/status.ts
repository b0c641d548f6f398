// Kubernetes metav1.Status errors, as the real API server formats them.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

const groupOf = (resource: string) => {
  const dot = resource.indexOf('.');
  return dot < 0 ? { kind: resource, group: '' } : { kind: resource.slice(0, dot), group: resource.slice(dot + 1) };
};

/** An error that the API server turns into a Status response. */
export class SimError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }

  get code(): number {
    return this.status.code;
  }

  static of(code: number, reason: string, message: string, details?: Status['details']): SimError {
    return new SimError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
  }

  static notFound(resource: string, name: string): SimError {
    const { kind, group } = groupOf(resource);
    return SimError.of(404, 'NotFound', `${resource} "${name}" not found`, { name, group, kind });
  }

  static alreadyExists(resource: string, name: string): SimError {
    const { kind, group } = groupOf(resource);
    return SimError.of(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, group, kind });
  }

  static conflict(resource: string, name: string): SimError {
    const { kind, group } = groupOf(resource);
    return SimError.of(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group, kind },
    );
  }

  static invalid(resource: string, name: string, message: string, field?: string): SimError {
    const { kind, group } = groupOf(resource);
    return SimError.of(422, 'Invalid', `${kind} "${name}" is invalid: ${message}`, {
      name,
      group,
      kind,
      causes: [{ reason: 'FieldValueInvalid', message, ...(field ? { field } : {}) }],
    });
  }

  static badRequest(message: string): SimError {
    return SimError.of(400, 'BadRequest', message);
  }

  static unauthorized(): SimError {
    return SimError.of(401, 'Unauthorized', 'Unauthorized');
  }

  /** The real message: `pods "x" is forbidden: User "u" cannot get resource "pods/exec" in API group "" in the namespace "ns"`. */
  static forbidden(user: string, verb: string, resource: string, group: string, namespace: string | undefined, name?: string): SimError {
    const base = resource.split('/')[0]!;
    const qualified = group ? `${base}.${group}` : base; // "deployments.apps is forbidden: …"
    const what = name ? `${qualified} "${name}"` : qualified;
    const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
    return SimError.of(
      403,
      'Forbidden',
      `${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${where}`,
      { ...(name ? { name } : {}), group, kind: base },
    );
  }

  static tooManyRequests(message: string, causes?: StatusCause[], retryAfterSeconds?: number): SimError {
    return SimError.of(429, 'TooManyRequests', message, {
      ...(causes ? { causes } : {}),
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
    });
  }

  static internal(message: string): SimError {
    return SimError.of(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  }

  static gone(message: string): SimError {
    return SimError.of(410, 'Expired', message);
  }
}
