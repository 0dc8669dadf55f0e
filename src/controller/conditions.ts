// metav1.Condition helpers, in the spirit of cert-manager's apiutil and
// apimachinery's meta.SetStatusCondition: lastTransitionTime moves only when
// the status flips.
import type { Condition } from '../api/v1alpha1/schema.ts';
import { Reason } from '../errors.ts';

export const READY = 'Ready';

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** A new list with `input` set; the transition time is kept unless the status changed. */
export function setCondition(conditions: readonly Condition[] | undefined, input: ConditionInput, now: Date): Condition[] {
  const existing = findCondition(conditions, input.type);
  const lastTransitionTime =
    existing && existing.status === input.status ? existing.lastTransitionTime : rfc3339(now);
  const next: Condition = { ...input, lastTransitionTime };
  const rest = (conditions ?? []).filter((c) => c.type !== input.type);
  return [...rest, next].sort((a, b) => a.type.localeCompare(b.type));
}

/** Whether the condition changed in a way worth an Event: its status or reason. */
export function isTransition(before: Condition | undefined, after: Condition): boolean {
  return !before || before.status !== after.status || before.reason !== after.reason;
}

/** `Normal` for good news and progress, `Warning` for anything a human should look at. */
export function eventTypeFor(condition: Condition): 'Normal' | 'Warning' {
  const normal: readonly string[] = [Reason.Synced, Reason.Syncing, Reason.Suspended];
  return normal.includes(condition.reason) ? 'Normal' : 'Warning';
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
