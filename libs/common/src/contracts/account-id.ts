import { Matches } from 'class-validator';
import { ID_PATTERNS } from '../ids';

/**
 * The account a command acts for (`acct_` + 16 hex). The gateway sets it from
 * the API key; clients never send it. The one place commands spell the check.
 */
export const IsAccountId = (): PropertyDecorator => Matches(ID_PATTERNS.account);
