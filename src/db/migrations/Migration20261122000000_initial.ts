import { Migration } from '@mikro-orm/migrations';

/**
 * The storefront's first schema. Written by hand rather than generated so the CHECK constraints
 * (the last line of defence for negative prices, ratings out of range, overselling) and the
 * indexes that the batched loaders rely on are explicit.
 */
export class Migration20261122000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table category (
        id serial primary key,
        name varchar(120) not null,
        slug varchar(120) not null unique,
        description text null
      );

      create table product (
        id serial primary key,
        sku varchar(64) not null unique,
        name varchar(200) not null,
        description text not null default '',
        price_cents integer not null check (price_cents >= 0),
        currency varchar(3) not null default 'USD',
        stock integer not null check (stock >= 0),
        category_id integer not null references category (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      -- Catalog pages: keyset pagination newest first, overall and per category.
      create index product_created_at_id_idx on product (created_at desc, id desc);
      create index product_category_created_at_id_idx on product (category_id, created_at desc, id desc);
      create index product_price_id_idx on product (price_cents, id);

      create table app_user (
        id serial primary key,
        name varchar(120) not null,
        email varchar(254) not null unique,
        password_hash varchar(255) not null,
        role varchar(16) not null default 'CUSTOMER' check (role in ('CUSTOMER', 'ADMIN')),
        created_at timestamptz not null default now()
      );

      create table review (
        id serial primary key,
        product_id integer not null references product (id),
        author_id integer not null references app_user (id),
        rating smallint not null check (rating between 1 and 5),
        body text not null,
        created_at timestamptz not null default now()
      );
      -- The top-N-per-product window query and the rating aggregate both walk this index.
      create index review_product_created_at_id_idx on review (product_id, created_at desc, id desc);
      create index review_author_id_idx on review (author_id);

      create table customer_order (
        id serial primary key,
        user_id integer not null references app_user (id),
        status varchar(16) not null check (status in ('PENDING', 'PAID', 'SHIPPED', 'CANCELLED')),
        total_cents integer not null check (total_cents >= 0),
        currency varchar(3) not null default 'USD',
        created_at timestamptz not null default now()
      );
      create index customer_order_user_created_at_id_idx on customer_order (user_id, created_at desc, id desc);

      create table order_item (
        id serial primary key,
        order_id integer not null references customer_order (id) on delete cascade,
        product_id integer not null references product (id),
        quantity integer not null check (quantity > 0),
        unit_price_cents integer not null check (unit_price_cents >= 0)
      );
      create index order_item_order_id_idx on order_item (order_id);
      create index order_item_product_id_idx on order_item (product_id);

      create table session (
        id varchar(64) primary key,
        user_id integer not null references app_user (id) on delete cascade,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null
      );
      create index session_user_id_idx on session (user_id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(
      'drop table if exists session, order_item, customer_order, review, app_user, product, category cascade;',
    );
  }
}
