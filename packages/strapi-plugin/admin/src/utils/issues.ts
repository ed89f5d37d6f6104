import { VALIDATION_MESSAGES, type ValidationIssue, validationMessageValues } from '@dynamic-image/core';
import { type IntlShape, useIntl } from 'react-intl';
import { getTranslation } from './t';

/**
 * A validation issue in the admin's language: core's message id is the translation key (`validation.<id>`) and
 * core's English text the default, so the admin never words a rule differently from the API.
 */
export function formatIssue(formatMessage: IntlShape['formatMessage'], issue: ValidationIssue): string {
  const id = issue.messageId;
  if (!id || !Object.hasOwn(VALIDATION_MESSAGES, id)) return issue.message;
  return formatMessage(
    { id: getTranslation(`validation.${id}`), defaultMessage: VALIDATION_MESSAGES[id] },
    validationMessageValues(issue),
  );
}

export function useIssueMessage() {
  const { formatMessage } = useIntl();
  return (issue: ValidationIssue) => formatIssue(formatMessage, issue);
}
