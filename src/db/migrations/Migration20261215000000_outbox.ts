import { Migration } from '@mikro-orm/migrations';

/** Tables whose rows the cache holds (sessions included: a session deleted by hand must end). */
export const TRACKED_TABLES = ['category', 'product', 'app_user', 'review', 'customer_order', 'order_item', 'session'] as const;

/**
 * The transactional outbox (see `src/events/outbox.ts`), and triggers that record writes made
 * outside the API in it.
 *
 * `created_at` defaults to `clock_timestamp()`, not `now()`: `now()` is the start of the
 * transaction, so a long transaction's rows would look old at their commit and the relay would
 * publish them at once, racing the writer. The partial index keeps the relay's scan to the few
 * unpublished rows; the one on `created_at` lets retention find old rows without a full scan.
 *
 * The triggers are per statement, with transition tables: a bulk UPDATE in psql costs one
 * INSERT ... SELECT into the outbox, not one trigger call per row. They skip connections whose
 * `application_name` is the API's (`API_APPLICATION_NAME` in `db/orm.ts`, written out here
 * because a migration must not change when code does; the API records its own, richer domain
 * events) and updates that changed nothing. `password_hash` is never copied: the outbox is read by other consumers and
 * kept for a day.
 */
export class Migration20261215000000_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table outbox_event (
        id bigserial primary key,
        type text not null,
        payload jsonb not null,
        tags text[] null,
        created_at timestamptz(3) not null default clock_timestamp(),
        published_at timestamptz(3) null
      );
      create index outbox_event_unpublished_idx on outbox_event (id) where published_at is null;
      create index outbox_event_created_at_idx on outbox_event (created_at);

      create function outbox_record_row_changes() returns trigger language plpgsql as $$
      begin
        if current_setting('application_name', true) = 'storefront-api' then
          return null;
        end if;
        if tg_op = 'INSERT' then
          insert into outbox_event (type, payload)
          select 'RowChanged', jsonb_build_object('table', tg_table_name, 'op', tg_op, 'old', null, 'new', to_jsonb(n) - 'password_hash')
          from new_rows n;
        elsif tg_op = 'UPDATE' then
          -- Paired by primary key; an UPDATE that changes a key leaves an old row and a new row unpaired.
          insert into outbox_event (type, payload)
          select 'RowChanged', jsonb_build_object('table', tg_table_name, 'op', tg_op, 'old', to_jsonb(o) - 'password_hash', 'new', to_jsonb(n) - 'password_hash')
          from old_rows o full join new_rows n on o.id = n.id
          where to_jsonb(o) is distinct from to_jsonb(n);
        elsif tg_op = 'DELETE' then
          insert into outbox_event (type, payload)
          select 'RowChanged', jsonb_build_object('table', tg_table_name, 'op', tg_op, 'old', to_jsonb(o) - 'password_hash', 'new', null)
          from old_rows o;
        else
          -- TRUNCATE names no rows: the relay empties the whole cache.
          insert into outbox_event (type, payload)
          values ('RowChanged', jsonb_build_object('table', tg_table_name, 'op', tg_op, 'old', null, 'new', null));
        end if;
        return null;
      end $$;
    `);
    // A trigger with transition tables may name one event only.
    for (const table of TRACKED_TABLES) {
      this.addSql(`
        create trigger ${table}_outbox_insert after insert on ${table}
          referencing new table as new_rows for each statement execute function outbox_record_row_changes();
        create trigger ${table}_outbox_update after update on ${table}
          referencing old table as old_rows new table as new_rows for each statement execute function outbox_record_row_changes();
        create trigger ${table}_outbox_delete after delete on ${table}
          referencing old table as old_rows for each statement execute function outbox_record_row_changes();
        create trigger ${table}_outbox_truncate after truncate on ${table}
          for each statement execute function outbox_record_row_changes();
      `);
    }
  }

  override async down(): Promise<void> {
    for (const table of TRACKED_TABLES) {
      for (const op of ['insert', 'update', 'delete', 'truncate']) this.addSql(`drop trigger if exists ${table}_outbox_${op} on ${table};`);
    }
    this.addSql('drop function if exists outbox_record_row_changes(); drop table if exists outbox_event;');
  }
}
