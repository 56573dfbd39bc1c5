import { IsDefined, ValidateIf } from "class-validator";

/**
 * An input field that may be left out (kept as it is) but not be null, where null means nothing: a
 * name, a flag, a list or map the service replaces whole. class-validator's IsOptional lets null
 * through as well, and a null the service did not expect failed there as an internal error.
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return (target, property) => {
    ValidateIf((_input, value) => value !== undefined)(target, property);
    IsDefined({ message: "$property cannot be null: leave it out to keep it" })(target, property);
  };
}
