import { type ValidationError, type ValidatorOptions, validate } from "class-validator";
import type { ValidatorFn } from "type-graphql";
import { DomainError, type FieldProblem, invalidInputs } from "../../domain/shared/domain-error";

/**
 * An argument's own GraphQL checks (class-validator), run before the resolver. They hold only what
 * must come before any work (a list's bound, which refuses 20,000 items before each is read) and what
 * the domain cannot see (a null the schema lets through to mean "left out"); every other rule is the
 * domain's, so that GraphQL and SCIM share it. Validation stops at a property's first failed
 * constraint: a list over its bound is not walked.
 */
const OPTIONS: ValidatorOptions = { forbidUnknownValues: false, stopAtFirstError: true, skipMissingProperties: true };

/**
 * The domain's rules of an input type that need no reading (nor any write), and how the input names
 * the fields the domain names. When the input's own checks fail, these run on the rest of the input,
 * so that one answer names every invalid field, whichever layer found it.
 */
export interface DomainRules<T> {
  /** Throws the domain's INVALID_INPUT for the given fields (those left out are not checked). */
  check(input: Partial<T>): unknown;
  /** The input's path of a field as the domain names it (`emails[1].value` → `emails.1.value`); the same by default. */
  field?(domainField: string): string;
}

const rulesByType = new Map<object, DomainRules<never>>();

/** Registers the domain's rules of an input type (and of the types extending it, unless they have their own). */
export function checkedByDomain<T extends object>(type: abstract new () => T, rules: DomainRules<T>): void {
  rulesByType.set(type, rules as DomainRules<never>);
}

function rulesOf(type: unknown): DomainRules<object> | undefined {
  for (let t: unknown = type; typeof t === "function" && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
    const rules = rulesByType.get(t);
    if (rules) return rules as DomainRules<object>;
  }
  return undefined;
}

/** The input field a problem belongs to: `emails` of `emails.1.value` or of `emails[1].value`. */
const topField = (field: string) => field.split(/[.[]/, 1)[0];

/** type-graphql's `validateFn`: an argument's own checks and, when they fail, the domain's on the rest. */
export const validateArgument: ValidatorFn = async (value, type) => {
  if (value === null || typeof value !== "object") return;
  for (const item of Array.isArray(value) ? value : [value]) {
    if (item === null || typeof item !== "object") continue;
    const failures = await validate(item, OPTIONS);
    if (!failures.length) continue;
    const problems = validationProblems(failures);
    throw invalidInputs(withDomainProblems(item as Record<string, unknown>, rulesOf(type), problems.length ? problems : [{ field: "", message: "invalid input" }]));
  }
};

/**
 * The input's own problems and the domain's problems with the fields that passed its own checks, in
 * the input's order. The domain does not see the fields that failed: a list over its bound is not
 * read, and a field is not named twice.
 */
function withDomainProblems(input: Record<string, unknown>, rules: DomainRules<object> | undefined, problems: FieldProblem[]): FieldProblem[] {
  if (!rules) return problems;
  const failed = new Set(problems.map((p) => topField(p.field)));
  const rest = Object.fromEntries(Object.entries(input).filter(([key]) => !failed.has(key)));
  let domain: FieldProblem[] = [];
  try {
    rules.check(rest);
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== "INVALID_INPUT") throw err;
    domain = inputProblems(err, rules.field).filter((p) => !failed.has(topField(p.field)));
  }
  const order = Object.keys(input);
  const rank = (p: FieldProblem) => {
    const i = order.indexOf(topField(p.field));
    return i < 0 ? order.length : i;
  };
  return [...problems, ...domain].sort((a, b) => rank(a) - rank(b));
}

/** A domain INVALID_INPUT's problems, named as the input names its fields. */
function inputProblems(err: DomainError, field: ((domainField: string) => string) | undefined): FieldProblem[] {
  const problems = err.details.fields ?? [{ field: err.details.field ?? "", message: err.message }];
  return field ? problems.map((p) => ({ field: field(p.field), message: p.message })) : problems;
}

/** The work's domain errors with their fields named as the input names them (`DomainRules.field`). */
export async function namedAsInput<T>(field: (domainField: string) => string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (!(err instanceof DomainError) || !err.details.field) throw err;
    const fields = err.details.fields?.map((p) => ({ field: field(p.field), message: p.message }));
    throw new DomainError(err.code, err.message, { ...err.details, field: field(err.details.field), ...(fields ? { fields } : {}) });
  }
}

type ValidationFailure = Pick<ValidationError, "property" | "constraints" | "children">;

/**
 * class-validator's failures down to each constraint that failed, with its path: an item of a list of
 * inputs is two levels below its list (members → 1 → type), and stopping above it said "invalid
 * input" on "members.1". Every failing field, not only the first.
 */
function validationProblems(failures: ValidationFailure[] | undefined, above: string[] = []): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const failure of failures ?? []) {
    const path = failure.property !== undefined ? [...above, failure.property] : above;
    const messages = Object.values(failure.constraints ?? {});
    if (messages.length) problems.push({ field: path.join("."), message: messages[0] });
    else problems.push(...validationProblems(failure.children, path));
  }
  return problems;
}
