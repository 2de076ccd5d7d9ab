import { Migration } from '@mikro-orm/migrations';

/**
 * A relay takes outbox rows by leasing them (`claimed_until`) in one short statement, then
 * publishes them outside any transaction. Holding row locks while publishing let a relay whose
 * Redis calls were timing out keep the rows from relays that could publish them.
 */
export class Migration20261216000000_outbox_lease extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table outbox_event add column claimed_until timestamptz(3) null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table outbox_event drop column if exists claimed_until;');
  }
}
