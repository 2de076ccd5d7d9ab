import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { CategoryModel, ProductModel, ProductConnectionModel, ProductEdgeModel, ReviewModel, ReviewConnectionModel, ReviewEdgeModel, UserModel, LoginPayloadModel, OrderModel, OrderItemModel, OrderConnectionModel, OrderEdgeModel } from '../modules/models';
import type { Context } from '../modules/context';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string | number; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An instant in time, as an ISO-8601 string in UTC, e.g. `2026-11-22T08:00:00.000Z`. */
  DateTime: { input: Date; output: Date | string; }
};

/** A review to add. */
export type AddReviewInput = {
  /** What the author has to say, 1 to 5000 characters. */
  body: Scalars['String']['input'];
  /** The product reviewed. */
  productId: Scalars['ID']['input'];
  /** From 1 (poor) to 5 (excellent). */
  rating: Scalars['Int']['input'];
};

/** Who may share a cached entry. */
export type CacheScope =
  /**
   * One entry per signed-in user; never served to anyone else or to an anonymous request. Any
   * field whose answer depends on who asks (an email only its owner may read) must be PRIVATE,
   * or a whole response holding it could be shared.
   */
  | 'PRIVATE'
  /** One entry serves every caller. */
  | 'PUBLIC';

/** A shelf of the storefront. Every product sits in exactly one category. */
export type Category = Node & {
  __typename?: 'Category';
  /** A sentence about the category, when it has one. */
  description?: Maybe<Scalars['String']['output']>;
  /** Stable identifier, unique among categories: what `category(id:)` and `categoryId` arguments take. */
  id: Scalars['ID']['output'];
  /** Display name, e.g. `Kitchen`. */
  name: Scalars['String']['output'];
  /** Globally unique id, for `node(id:)` and `nodes(ids:)` (see `Node`); not the same as `id`. */
  nodeId: Scalars['ID']['output'];
  /** The category's products, newest first unless `orderBy` says otherwise. */
  products: ProductConnection;
  /** URL-friendly unique name, e.g. `kitchen`. */
  slug: Scalars['String']['output'];
};


/** A shelf of the storefront. Every product sits in exactly one category. */
export type CategoryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<ProductOrder>;
};

/** A change to which products a category holds. */
export type CategoryChange = {
  __typename?: 'CategoryChange';
  /** The category watched. */
  category: Category;
  /** What happened. */
  kind: CategoryChangeKind;
  /** The product concerned, as it is now (after a move, in its new category); null once deleted. */
  product?: Maybe<Product>;
  /** The product concerned, by its id (also when it no longer exists). */
  productId: Scalars['ID']['output'];
};

/** How a product's membership of a category changed. */
export type CategoryChangeKind =
  /** A new product was created in the category. */
  | 'ADDED'
  /** An existing product was moved into the category. */
  | 'MOVED_IN'
  /** A product was moved out of the category into another. */
  | 'MOVED_OUT'
  /** A product of the category was deleted (by a change made outside the API); `product` is null. */
  | 'REMOVED';

/** A new product's fields. */
export type CreateProductInput = {
  /** The category to put the product in. */
  categoryId: Scalars['ID']['input'];
  /** ISO-4217 code, three capital letters. */
  currency?: InputMaybe<Scalars['String']['input']>;
  /** Longer text for the product page. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Display name, 1 to 200 characters. */
  name: Scalars['String']['input'];
  /** Price in cents; zero or more. */
  priceCents: Scalars['Int']['input'];
  /** Unique merchant code, 1 to 64 characters. */
  sku: Scalars['String']['input'];
  /** Units in stock; zero or more. */
  stock?: InputMaybe<Scalars['Int']['input']>;
};

/** One entity, by its type's name and its `id` (not its `nodeId`). */
export type EntityRefInput = {
  /** The entity's `id` within its type, e.g. `42`. */
  id: Scalars['ID']['input'];
  /** The type's name: `Product`, `Category`, `User`, `Review` or `Order`. */
  type: Scalars['String']['input'];
};

/** What `invalidateCache` did. */
export type InvalidationReport = {
  __typename?: 'InvalidationReport';
  /** Instances that acknowledged dropping it in time. */
  acknowledged: Scalars['Int']['output'];
  /** The outbox row that records the request (kept `OUTBOX_RETENTION_HOURS` once published). */
  eventId: Scalars['ID']['output'];
  /** True when `types` was given: the whole cache was emptied. */
  purged: Scalars['Boolean']['output'];
  /** Instances that received the invalidation, this one included; 0 when Redis could not be reached. */
  receivers: Scalars['Int']['output'];
  /** Whether every instance dropped them before this answer. */
  status: InvalidationStatus;
  /** The tags dropped, each once: those given, and those of each entity given. */
  tags: Array<Scalars['String']['output']>;
};

/** Whether every instance dropped an invalidation before the answer. */
export type InvalidationStatus =
  /** Every instance that received it acknowledged dropping it: no instance serves the old entries. */
  | 'ACKNOWLEDGED'
  /**
   * Redis could not be reached, or some instance did not acknowledge in time. The request is
   * kept in the outbox and published again by any instance after a short delay
   * (`OUTBOX_PUBLISH_DELAY_MS` plus up to `OUTBOX_POLL_MS`); until then some instance may serve
   * the old entries.
   */
  | 'DEFERRED';

/** A new session. */
export type LoginPayload = {
  __typename?: 'LoginPayload';
  /** When the session ends unless renewed by signing in again. */
  expiresAt: Scalars['DateTime']['output'];
  /** Send as `Authorization: Bearer <token>` (HTTP) or `connectionParams.authorization` (WebSocket). */
  token: Scalars['String']['output'];
  /** The signed-in user. */
  user: User;
};

/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type Mutation = {
  __typename?: 'Mutation';
  /** The signed-in user reviews a product. */
  addReview: Review;
  /**
   * Moves a product's stock up or down by `delta`, atomically, so concurrent adjustments never
   * lose one another. Refuses to go below zero. Back office only: needs a signed-in `ADMIN`.
   */
  adjustStock: Product;
  /**
   * Cancels one of the signed-in user's own orders while it is `PENDING`; its units go back into
   * stock. Another user's order answers `NOT_FOUND`; an order past `PENDING` answers
   * `BAD_USER_INPUT` (`reason: INVALID_TRANSITION`).
   */
  cancelOrder: Order;
  /**
   * Changes the signed-in user's password and ends all their other sessions (this one stays).
   * A wrong `currentPassword` answers `BAD_USER_INPUT` (`field: currentPassword`); a new password
   * of the wrong length, `BAD_USER_INPUT` (`field: newPassword`). Answers how many sessions ended.
   */
  changePassword: Scalars['Int']['output'];
  /** Adds a product to the catalog. Back office only: needs a signed-in `ADMIN`. */
  createProduct: Product;
  /**
   * Drops cached data that changed where the API cannot see it (data kept in another system),
   * on every instance. Writes made to the database by hand or by other services need no call:
   * the database records them and the cache follows within seconds. Give any of:
   * `types` (every entry of those types; since lists and whole responses hold them too, the whole
   * cache is emptied, as by `purgeCache`), `entities` (each entity's own entry and its cached
   * fields; not the lists it is in), `tags` (entries filed under exactly those tags, as listed in
   * `Surrogate-Key` or `x-cache-debug`, e.g. `Product:list`). The request is recorded in the
   * outbox before anything is dropped, so an instance that cannot be reached now is told later.
   * Unknown types answer `BAD_USER_INPUT` naming the known ones. Back office only: needs a
   * signed-in `ADMIN`. Also served as `POST /admin/cache/invalidate` with the same JSON.
   */
  invalidateCache: InvalidationReport;
  /**
   * Starts a session under a new id (any session the request came with ends). Browsers get an
   * HttpOnly `sid` cookie (signed when sessions live in their own Redis); other clients use the
   * returned `token` as `Authorization: Bearer <token>`: both name the same session. Wrong
   * credentials answer `UNAUTHENTICATED`.
   */
  login: LoginPayload;
  /**
   * Ends the current session, if any, and clears the cookie: by the time it answers, no instance
   * accepts its token and its private subscriptions have ended. Always answers true.
   */
  logout: Scalars['Boolean']['output'];
  /**
   * Ends every session of the signed-in user, this one included, on every instance before it
   * answers (their private subscriptions end too). Answers how many sessions ended. Needs a
   * signed-in user (`UNAUTHENTICATED` otherwise).
   */
  logoutEverywhere: Scalars['Int']['output'];
  /**
   * The signed-in user buys the given items at today's prices, in one transaction that takes the
   * stock; refuses with `BAD_USER_INPUT` (`reason: INSUFFICIENT_STOCK`) rather than oversell.
   */
  placeOrder: Order;
  /**
   * Empties the server-side cache on every instance, e.g. after fixing data by hand. Nothing is
   * scanned: every instance moves to a new key generation and old entries expire by themselves.
   * Answers the new generation. Back office only: needs a signed-in `ADMIN`.
   */
  purgeCache: Scalars['Int']['output'];
  /**
   * Moves an order along: `PENDING` -> `PAID` -> `SHIPPED`, or `PENDING`/`PAID` -> `CANCELLED`
   * (its units go back into stock). Other moves answer `BAD_USER_INPUT` (`reason:
   * INVALID_TRANSITION`). Back office only: needs a signed-in `ADMIN`.
   */
  updateOrderStatus: Order;
  /**
   * Changes a product's fields; fields left out keep their value. Back office only: needs a
   * signed-in `ADMIN`.
   */
  updateProduct: Product;
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationAddReviewArgs = {
  input: AddReviewInput;
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationAdjustStockArgs = {
  delta: Scalars['Int']['input'];
  id: Scalars['ID']['input'];
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationCancelOrderArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationChangePasswordArgs = {
  currentPassword: Scalars['String']['input'];
  newPassword: Scalars['String']['input'];
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationCreateProductArgs = {
  input: CreateProductInput;
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationInvalidateCacheArgs = {
  entities?: InputMaybe<Array<EntityRefInput>>;
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
  types?: InputMaybe<Array<Scalars['String']['input']>>;
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationLoginArgs = {
  email: Scalars['String']['input'];
  password: Scalars['String']['input'];
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationUpdateOrderStatusArgs = {
  id: Scalars['ID']['input'];
  status: OrderStatus;
};


/**
 * Every change a storefront can make. Each write commits in one transaction and, once committed,
 * announces what changed so caches and live subscriptions follow.
 */
export type MutationUpdateProductArgs = {
  id: Scalars['ID']['input'];
  input: UpdateProductInput;
};

/**
 * An object that can be fetched again from its `nodeId` alone, with `node(id:)` or
 * `nodes(ids:)` (Relay's Global Object Identification). Each type's own `id` stays the number
 * the rest of the API takes and returns (`product(id: "42")`), unique within its type only: a
 * product and a category can both have the id 7. So the globally unique id is a field of its
 * own, `nodeId`. Relay clients say so in the compiler's config (`"schemaConfig":
 * { "nodeInterfaceIdField": "nodeId" }`) and key their store by it (the environment's
 * `getDataID` reads `nodeId`).
 */
export type Node = {
  /**
   * Globally unique and opaque: pass it to `node(id:)` to fetch this object again. Read it from
   * the API; its form is not a contract.
   */
  nodeId: Scalars['ID']['output'];
};

/** A user's purchase. Its total is fixed when placed, from that moment's prices. */
export type Order = Node & {
  __typename?: 'Order';
  /** When it was placed. */
  createdAt: Scalars['DateTime']['output'];
  /** ISO-4217 code of `totalCents`. */
  currency: Scalars['String']['output'];
  /** Stable identifier, unique among orders. */
  id: Scalars['ID']['output'];
  /** What was bought. */
  items: Array<OrderItem>;
  /** Globally unique id, for `node(id:)` and `nodes(ids:)` (see `Node`); not the same as `id`. */
  nodeId: Scalars['ID']['output'];
  /** Where the order is in its life. */
  status: OrderStatus;
  /** What the order costs in cents of `currency`: the sum of its items. */
  totalCents: Scalars['Int']['output'];
};

/** A page of orders. */
export type OrderConnection = {
  __typename?: 'OrderConnection';
  /** The orders of this page, each with its cursor. */
  edges: Array<OrderEdge>;
  /** Where this page sits in the whole list. */
  pageInfo: PageInfo;
};

/** One order in a page, with the cursor that points at it. */
export type OrderEdge = {
  __typename?: 'OrderEdge';
  /** Pass as `after` to continue the list after this order. */
  cursor: Scalars['String']['output'];
  /** The order. */
  node: Order;
};

/** One line of an order. */
export type OrderItem = {
  __typename?: 'OrderItem';
  /** Stable identifier. */
  id: Scalars['ID']['output'];
  /** The product bought. */
  product: Product;
  /** How many units. */
  quantity: Scalars['Int']['output'];
  /** The price of one unit when the order was placed, in cents. */
  unitPriceCents: Scalars['Int']['output'];
};

/** One line of an order to place. */
export type OrderLineInput = {
  /** The product to buy. */
  productId: Scalars['ID']['input'];
  /** How many units, 1 or more. */
  quantity: Scalars['Int']['input'];
};

/** Where an order is in its life. */
export type OrderStatus =
  /** Called off; nothing ships. */
  | 'CANCELLED'
  /** Paid, waiting to ship. */
  | 'PAID'
  /** Placed, not yet paid. */
  | 'PENDING'
  /** On its way. */
  | 'SHIPPED';

/**
 * Where a page of a connection sits in the whole list, as the Relay connection specification
 * has it. Lists page forward only (`first` and `after`).
 */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** The cursor of this page's last item, or null when the page is empty. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** True when more items follow this page; fetch them with `after: endCursor`. */
  hasNextPage: Scalars['Boolean']['output'];
  /**
   * True when the page was asked for with `after`, so it starts after the item that cursor was
   * taken from; false on a list's first page. Lists page forward only, so this comes from the
   * request rather than from counting what lies before (the Relay specification allows it).
   */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of this page's first item, or null when the page is empty. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** An order to place. */
export type PlaceOrderInput = {
  /** What to buy: 1 to 50 lines, each product at most once. */
  items: Array<OrderLineInput>;
};

/** A thing for sale. */
export type Product = Node & {
  __typename?: 'Product';
  /** Mean review rating from 1 to 5, or null when nobody has reviewed the product yet. */
  averageRating?: Maybe<Scalars['Float']['output']>;
  /** The category the product sits in. */
  category: Category;
  /** When the product was added. */
  createdAt: Scalars['DateTime']['output'];
  /** ISO-4217 currency code of `priceCents`, e.g. `USD`. */
  currency: Scalars['String']['output'];
  /** Longer text for the product page. */
  description: Scalars['String']['output'];
  /** Stable identifier, unique among products: what `product(id:)` and `productId` arguments take. */
  id: Scalars['ID']['output'];
  /** Display name. */
  name: Scalars['String']['output'];
  /** Globally unique id, for `node(id:)` and `nodes(ids:)` (see `Node`); not the same as `id`. */
  nodeId: Scalars['ID']['output'];
  /** Price in the smallest unit of `currency` (cents), so no arithmetic ever rounds. */
  priceCents: Scalars['Int']['output'];
  /** How many reviews the product has. */
  reviewCount: Scalars['Int']['output'];
  /** The product's reviews, newest first. */
  reviews: ReviewConnection;
  /** Stock-keeping unit: the merchant's unique code for the product. */
  sku: Scalars['String']['output'];
  /** Units available to order now. */
  stock: Scalars['Int']['output'];
  /** When any of the product's own fields last changed. */
  updatedAt: Scalars['DateTime']['output'];
};


/** A thing for sale. */
export type ProductReviewsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A page of products. */
export type ProductConnection = {
  __typename?: 'ProductConnection';
  /** The products of this page, each with its cursor. */
  edges: Array<ProductEdge>;
  /** Where this page sits in the whole list. */
  pageInfo: PageInfo;
};

/** One product in a page, with the cursor that points at it. */
export type ProductEdge = {
  __typename?: 'ProductEdge';
  /** Pass as `after` to continue the list after this product. */
  cursor: Scalars['String']['output'];
  /** The product. */
  node: Product;
};

/** Conditions a product must meet to be listed; all given conditions must hold. */
export type ProductFilter = {
  /** Only products of this category. */
  categoryId?: InputMaybe<Scalars['ID']['input']>;
  /** Only products priced at most this many cents. */
  maxPriceCents?: InputMaybe<Scalars['Int']['input']>;
  /** Only products priced at least this many cents. */
  minPriceCents?: InputMaybe<Scalars['Int']['input']>;
  /** Only products whose name or description contains this text (case-insensitive). */
  search?: InputMaybe<Scalars['String']['input']>;
};

/** How a list of products is ordered. Ties are broken by id. */
export type ProductOrder =
  /** Alphabetically by name. */
  | 'NAME_ASC'
  /** Most recently added first. */
  | 'NEWEST'
  /** Cheapest first. */
  | 'PRICE_ASC'
  /** Most expensive first. */
  | 'PRICE_DESC';

/**
 * Everything a storefront can read. Lists are Relay-style cursor connections: ask for `first`
 * items, then pass the last `cursor` (or `pageInfo.endCursor`) as `after` for the next page.
 */
export type Query = {
  __typename?: 'Query';
  /** Every category, by name. */
  categories: Array<Category>;
  /** One category by id. Answers null with a `NOT_FOUND` error when no category has that id. */
  category?: Maybe<Category>;
  /**
   * The signed-in user, or null when the request carries no valid session. Send the `token` from
   * `login` as `Authorization: Bearer <token>`, or let the browser send the session cookie.
   */
  me?: Maybe<User>;
  /**
   * Any object that implements `Node`, from its `nodeId`: how Relay fetches an object again.
   * Answers null, without an error, when nothing has that id and when the caller may not see
   * the object, alike: an `Order` is answered only to the user who placed it, a `User` only to
   * themself and, once they have written a review (which shows its author), to anyone. An id
   * that is not a `nodeId` (a type's own numeric `id`, say) answers `BAD_USER_INPUT`.
   */
  node?: Maybe<Node>;
  /**
   * Up to 100 objects by `nodeId`, in the order asked, each answered as `node(id:)` answers it;
   * an id that is not a `nodeId` gives null at its position and a `BAD_USER_INPUT` error whose
   * `path` ends with that position.
   */
  nodes: Array<Maybe<Node>>;
  /** One product by id. Answers null with a `NOT_FOUND` error when no product has that id. */
  product?: Maybe<Product>;
  /** A page of products, newest first unless `orderBy` says otherwise, narrowed by `filter`. */
  products: ProductConnection;
};


/**
 * Everything a storefront can read. Lists are Relay-style cursor connections: ask for `first`
 * items, then pass the last `cursor` (or `pageInfo.endCursor`) as `after` for the next page.
 */
export type QueryCategoryArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything a storefront can read. Lists are Relay-style cursor connections: ask for `first`
 * items, then pass the last `cursor` (or `pageInfo.endCursor`) as `after` for the next page.
 */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything a storefront can read. Lists are Relay-style cursor connections: ask for `first`
 * items, then pass the last `cursor` (or `pageInfo.endCursor`) as `after` for the next page.
 */
export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/**
 * Everything a storefront can read. Lists are Relay-style cursor connections: ask for `first`
 * items, then pass the last `cursor` (or `pageInfo.endCursor`) as `after` for the next page.
 */
export type QueryProductArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything a storefront can read. Lists are Relay-style cursor connections: ask for `first`
 * items, then pass the last `cursor` (or `pageInfo.endCursor`) as `after` for the next page.
 */
export type QueryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ProductFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<ProductOrder>;
};

/** One user's rating and words about one product. */
export type Review = Node & {
  __typename?: 'Review';
  /** Who wrote it. */
  author: User;
  /** What the author wrote. */
  body: Scalars['String']['output'];
  /** When it was written. */
  createdAt: Scalars['DateTime']['output'];
  /** Stable identifier, unique among reviews. */
  id: Scalars['ID']['output'];
  /** Globally unique id, for `node(id:)` and `nodes(ids:)` (see `Node`); not the same as `id`. */
  nodeId: Scalars['ID']['output'];
  /** The product reviewed. */
  product: Product;
  /** From 1 (poor) to 5 (excellent). */
  rating: Scalars['Int']['output'];
};

/** A page of reviews. */
export type ReviewConnection = {
  __typename?: 'ReviewConnection';
  /** The reviews of this page, each with its cursor. */
  edges: Array<ReviewEdge>;
  /** Where this page sits in the whole list. */
  pageInfo: PageInfo;
  /** How many reviews the whole list holds, across all pages. */
  totalCount: Scalars['Int']['output'];
};

/** One review in a page, with the cursor that points at it. */
export type ReviewEdge = {
  __typename?: 'ReviewEdge';
  /** Pass as `after` to continue the list after this review. */
  cursor: Scalars['String']['output'];
  /** The review. */
  node: Review;
};

/** What a user may do. */
export type Role =
  /** Also runs the back office: creates and changes products. */
  | 'ADMIN'
  /** Shops: reviews products and places orders. */
  | 'CUSTOMER';

/**
 * Live updates over WebSocket (`graphql-transport-ws` protocol, same URL as HTTP: `/graphql`).
 * Each event's payload carries its id in `extensions.eventId`; pass the last id you received as
 * `after` when you subscribe again (after a disconnect) to receive first what you missed, in
 * order, then live events. An id older than the server keeps (`LIVE_STREAM_MAXLEN` events per
 * topic, `LIVE_STREAM_TTL_SECONDS`) is refused with `EVENTS_EXPIRED`: refetch with a query, then
 * subscribe without `after`. Payloads are read like queries, through the cache, after the change
 * that caused them committed.
 */
export type Subscription = {
  __typename?: 'Subscription';
  /** Each product added to the category, moved into it, moved out of it, or removed (deleted). */
  categoryChanged: CategoryChange;
  /**
   * The signed-in user's own orders, each time one changes status (paid, shipped, cancelled).
   * Anonymous sockets are refused with `UNAUTHENTICATED`; ends with `UNAUTHENTICATED` when the
   * session ends (`logout`).
   */
  orderStatusChanged: Order;
  /** The product after any change to its own fields (price, stock, name, category...). */
  productUpdated: Product;
  /** Each new review of the product, once written. */
  reviewAdded: Review;
  /** The product each time its stock changes (orders, cancellations, back office). */
  stockChanged: Product;
};


/**
 * Live updates over WebSocket (`graphql-transport-ws` protocol, same URL as HTTP: `/graphql`).
 * Each event's payload carries its id in `extensions.eventId`; pass the last id you received as
 * `after` when you subscribe again (after a disconnect) to receive first what you missed, in
 * order, then live events. An id older than the server keeps (`LIVE_STREAM_MAXLEN` events per
 * topic, `LIVE_STREAM_TTL_SECONDS`) is refused with `EVENTS_EXPIRED`: refetch with a query, then
 * subscribe without `after`. Payloads are read like queries, through the cache, after the change
 * that caused them committed.
 */
export type SubscriptionCategoryChangedArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


/**
 * Live updates over WebSocket (`graphql-transport-ws` protocol, same URL as HTTP: `/graphql`).
 * Each event's payload carries its id in `extensions.eventId`; pass the last id you received as
 * `after` when you subscribe again (after a disconnect) to receive first what you missed, in
 * order, then live events. An id older than the server keeps (`LIVE_STREAM_MAXLEN` events per
 * topic, `LIVE_STREAM_TTL_SECONDS`) is refused with `EVENTS_EXPIRED`: refetch with a query, then
 * subscribe without `after`. Payloads are read like queries, through the cache, after the change
 * that caused them committed.
 */
export type SubscriptionOrderStatusChangedArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Live updates over WebSocket (`graphql-transport-ws` protocol, same URL as HTTP: `/graphql`).
 * Each event's payload carries its id in `extensions.eventId`; pass the last id you received as
 * `after` when you subscribe again (after a disconnect) to receive first what you missed, in
 * order, then live events. An id older than the server keeps (`LIVE_STREAM_MAXLEN` events per
 * topic, `LIVE_STREAM_TTL_SECONDS`) is refused with `EVENTS_EXPIRED`: refetch with a query, then
 * subscribe without `after`. Payloads are read like queries, through the cache, after the change
 * that caused them committed.
 */
export type SubscriptionProductUpdatedArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};


/**
 * Live updates over WebSocket (`graphql-transport-ws` protocol, same URL as HTTP: `/graphql`).
 * Each event's payload carries its id in `extensions.eventId`; pass the last id you received as
 * `after` when you subscribe again (after a disconnect) to receive first what you missed, in
 * order, then live events. An id older than the server keeps (`LIVE_STREAM_MAXLEN` events per
 * topic, `LIVE_STREAM_TTL_SECONDS`) is refused with `EVENTS_EXPIRED`: refetch with a query, then
 * subscribe without `after`. Payloads are read like queries, through the cache, after the change
 * that caused them committed.
 */
export type SubscriptionReviewAddedArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  productId: Scalars['ID']['input'];
};


/**
 * Live updates over WebSocket (`graphql-transport-ws` protocol, same URL as HTTP: `/graphql`).
 * Each event's payload carries its id in `extensions.eventId`; pass the last id you received as
 * `after` when you subscribe again (after a disconnect) to receive first what you missed, in
 * order, then live events. An id older than the server keeps (`LIVE_STREAM_MAXLEN` events per
 * topic, `LIVE_STREAM_TTL_SECONDS`) is refused with `EVENTS_EXPIRED`: refetch with a query, then
 * subscribe without `after`. Payloads are read like queries, through the cache, after the change
 * that caused them committed.
 */
export type SubscriptionStockChangedArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  productId: Scalars['ID']['input'];
};

/** The fields of a product to change; fields left out keep their value. */
export type UpdateProductInput = {
  /** Move the product to this category. */
  categoryId?: InputMaybe<Scalars['ID']['input']>;
  /** ISO-4217 code, three capital letters. */
  currency?: InputMaybe<Scalars['String']['input']>;
  /** Longer text for the product page. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Display name, 1 to 200 characters. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** Price in cents; zero or more. */
  priceCents?: InputMaybe<Scalars['Int']['input']>;
  /** Units in stock; zero or more. Prefer `adjustStock` when others may be selling at the same time. */
  stock?: InputMaybe<Scalars['Int']['input']>;
};

/**
 * A person with an account. Anyone can see a user's name (it signs their reviews); only the user
 * themself can see their email and orders.
 */
export type User = Node & {
  __typename?: 'User';
  /** Email address. Only the user themself may read it; others get `FORBIDDEN`. */
  email: Scalars['String']['output'];
  /** Stable identifier, unique among users. */
  id: Scalars['ID']['output'];
  /** Display name. */
  name: Scalars['String']['output'];
  /** Globally unique id, for `node(id:)` and `nodes(ids:)` (see `Node`); not the same as `id`. */
  nodeId: Scalars['ID']['output'];
  /** The user's orders, newest first. Only the user themself may read them; others get `FORBIDDEN`. */
  orders: OrderConnection;
  /** What the user may do. */
  role: Role;
};


/**
 * A person with an account. Anyone can see a user's name (it signs their reviews); only the user
 * themself can see their email and orders.
 */
export type UserOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;




/** Mapping of interface types */
export type ResolversInterfaceTypes<_RefType extends Record<string, unknown>> = {
  Node:
    | ( CategoryModel )
    | ( OrderModel )
    | ( ProductModel )
    | ( ReviewModel )
    | ( UserModel )
  ;
};

/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  AddReviewInput: AddReviewInput;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  CacheScope: CacheScope;
  Category: ResolverTypeWrapper<CategoryModel>;
  CategoryChange: ResolverTypeWrapper<Omit<CategoryChange, 'category' | 'product'> & { category: ResolversTypes['Category'], product?: Maybe<ResolversTypes['Product']> }>;
  CategoryChangeKind: CategoryChangeKind;
  CreateProductInput: CreateProductInput;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  EntityRefInput: EntityRefInput;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  InvalidationReport: ResolverTypeWrapper<InvalidationReport>;
  InvalidationStatus: InvalidationStatus;
  LoginPayload: ResolverTypeWrapper<LoginPayloadModel>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Node: ResolverTypeWrapper<ResolversInterfaceTypes<ResolversTypes>['Node']>;
  Order: ResolverTypeWrapper<OrderModel>;
  OrderConnection: ResolverTypeWrapper<OrderConnectionModel>;
  OrderEdge: ResolverTypeWrapper<OrderEdgeModel>;
  OrderItem: ResolverTypeWrapper<OrderItemModel>;
  OrderLineInput: OrderLineInput;
  OrderStatus: OrderStatus;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  PlaceOrderInput: PlaceOrderInput;
  Product: ResolverTypeWrapper<ProductModel>;
  ProductConnection: ResolverTypeWrapper<ProductConnectionModel>;
  ProductEdge: ResolverTypeWrapper<ProductEdgeModel>;
  ProductFilter: ProductFilter;
  ProductOrder: ProductOrder;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Review: ResolverTypeWrapper<ReviewModel>;
  ReviewConnection: ResolverTypeWrapper<ReviewConnectionModel>;
  ReviewEdge: ResolverTypeWrapper<ReviewEdgeModel>;
  Role: Role;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  UpdateProductInput: UpdateProductInput;
  User: ResolverTypeWrapper<UserModel>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  AddReviewInput: AddReviewInput;
  Boolean: Scalars['Boolean']['output'];
  Category: CategoryModel;
  CategoryChange: Omit<CategoryChange, 'category' | 'product'> & { category: ResolversParentTypes['Category'], product?: Maybe<ResolversParentTypes['Product']> };
  CreateProductInput: CreateProductInput;
  DateTime: Scalars['DateTime']['output'];
  EntityRefInput: EntityRefInput;
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  InvalidationReport: InvalidationReport;
  LoginPayload: LoginPayloadModel;
  Mutation: Record<PropertyKey, never>;
  Node: ResolversInterfaceTypes<ResolversParentTypes>['Node'];
  Order: OrderModel;
  OrderConnection: OrderConnectionModel;
  OrderEdge: OrderEdgeModel;
  OrderItem: OrderItemModel;
  OrderLineInput: OrderLineInput;
  PageInfo: PageInfo;
  PlaceOrderInput: PlaceOrderInput;
  Product: ProductModel;
  ProductConnection: ProductConnectionModel;
  ProductEdge: ProductEdgeModel;
  ProductFilter: ProductFilter;
  Query: Record<PropertyKey, never>;
  Review: ReviewModel;
  ReviewConnection: ReviewConnectionModel;
  ReviewEdge: ReviewEdgeModel;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  UpdateProductInput: UpdateProductInput;
  User: UserModel;
};

export type CachedDirectiveArgs = {
  scope?: Maybe<CacheScope>;
  staleWhileRevalidate?: Maybe<Scalars['Int']['input']>;
  tags?: Maybe<Array<Scalars['String']['input']>>;
  ttl?: Maybe<Scalars['Int']['input']>;
};

export type CachedDirectiveResolver<Result, Parent, ContextType = Context, Args = CachedDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type CategoryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Category'] = ResolversParentTypes['Category']> = {
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  nodeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  products?: Resolver<ResolversTypes['ProductConnection'], ParentType, ContextType, RequireFields<CategoryProductsArgs, 'first' | 'orderBy'>>;
  slug?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type CategoryChangeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['CategoryChange'] = ResolversParentTypes['CategoryChange']> = {
  category?: Resolver<ResolversTypes['Category'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['CategoryChangeKind'], ParentType, ContextType>;
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType>;
  productId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type InvalidationReportResolvers<ContextType = Context, ParentType extends ResolversParentTypes['InvalidationReport'] = ResolversParentTypes['InvalidationReport']> = {
  acknowledged?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  eventId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  purged?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  receivers?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['InvalidationStatus'], ParentType, ContextType>;
  tags?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
};

export type LoginPayloadResolvers<ContextType = Context, ParentType extends ResolversParentTypes['LoginPayload'] = ResolversParentTypes['LoginPayload']> = {
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  token?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  addReview?: Resolver<ResolversTypes['Review'], ParentType, ContextType, RequireFields<MutationAddReviewArgs, 'input'>>;
  adjustStock?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationAdjustStockArgs, 'delta' | 'id'>>;
  cancelOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationCancelOrderArgs, 'id'>>;
  changePassword?: Resolver<ResolversTypes['Int'], ParentType, ContextType, RequireFields<MutationChangePasswordArgs, 'currentPassword' | 'newPassword'>>;
  createProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationCreateProductArgs, 'input'>>;
  invalidateCache?: Resolver<ResolversTypes['InvalidationReport'], ParentType, ContextType, Partial<MutationInvalidateCacheArgs>>;
  login?: Resolver<ResolversTypes['LoginPayload'], ParentType, ContextType, RequireFields<MutationLoginArgs, 'email' | 'password'>>;
  logout?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  logoutEverywhere?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  placeOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationPlaceOrderArgs, 'input'>>;
  purgeCache?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  updateOrderStatus?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationUpdateOrderStatusArgs, 'id' | 'status'>>;
  updateProduct?: Resolver<ResolversTypes['Product'], ParentType, ContextType, RequireFields<MutationUpdateProductArgs, 'id' | 'input'>>;
};

export type NodeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Node'] = ResolversParentTypes['Node']> = {
  __resolveType: TypeResolveFn<'Category' | 'Order' | 'Product' | 'Review' | 'User', ParentType, ContextType>;
};

export type OrderResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['OrderItem']>, ParentType, ContextType>;
  nodeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  totalCents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type OrderConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderConnection'] = ResolversParentTypes['OrderConnection']> = {
  edges?: Resolver<Array<ResolversTypes['OrderEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type OrderEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderEdge'] = ResolversParentTypes['OrderEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
};

export type OrderItemResolvers<ContextType = Context, ParentType extends ResolversParentTypes['OrderItem'] = ResolversParentTypes['OrderItem']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  product?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  unitPriceCents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = Context, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPreviousPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type ProductResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product']> = {
  averageRating?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  category?: Resolver<ResolversTypes['Category'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  nodeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  priceCents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reviewCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reviews?: Resolver<ResolversTypes['ReviewConnection'], ParentType, ContextType, RequireFields<ProductReviewsArgs, 'first'>>;
  sku?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  stock?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type ProductConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ProductConnection'] = ResolversParentTypes['ProductConnection']> = {
  edges?: Resolver<Array<ResolversTypes['ProductEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type ProductEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ProductEdge'] = ResolversParentTypes['ProductEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  categories?: Resolver<Array<ResolversTypes['Category']>, ParentType, ContextType>;
  category?: Resolver<Maybe<ResolversTypes['Category']>, ParentType, ContextType, RequireFields<QueryCategoryArgs, 'id'>>;
  me?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  node?: Resolver<Maybe<ResolversTypes['Node']>, ParentType, ContextType, RequireFields<QueryNodeArgs, 'id'>>;
  nodes?: Resolver<Array<Maybe<ResolversTypes['Node']>>, ParentType, ContextType, RequireFields<QueryNodesArgs, 'ids'>>;
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType, RequireFields<QueryProductArgs, 'id'>>;
  products?: Resolver<ResolversTypes['ProductConnection'], ParentType, ContextType, RequireFields<QueryProductsArgs, 'first' | 'orderBy'>>;
};

export type ReviewResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Review'] = ResolversParentTypes['Review']> = {
  author?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
  body?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  nodeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  product?: Resolver<ResolversTypes['Product'], ParentType, ContextType>;
  rating?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type ReviewConnectionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReviewConnection'] = ResolversParentTypes['ReviewConnection']> = {
  edges?: Resolver<Array<ResolversTypes['ReviewEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type ReviewEdgeResolvers<ContextType = Context, ParentType extends ResolversParentTypes['ReviewEdge'] = ResolversParentTypes['ReviewEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Review'], ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = Context, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  categoryChanged?: SubscriptionResolver<ResolversTypes['CategoryChange'], "categoryChanged", ParentType, ContextType, RequireFields<SubscriptionCategoryChangedArgs, 'id'>>;
  orderStatusChanged?: SubscriptionResolver<ResolversTypes['Order'], "orderStatusChanged", ParentType, ContextType, Partial<SubscriptionOrderStatusChangedArgs>>;
  productUpdated?: SubscriptionResolver<ResolversTypes['Product'], "productUpdated", ParentType, ContextType, RequireFields<SubscriptionProductUpdatedArgs, 'id'>>;
  reviewAdded?: SubscriptionResolver<ResolversTypes['Review'], "reviewAdded", ParentType, ContextType, RequireFields<SubscriptionReviewAddedArgs, 'productId'>>;
  stockChanged?: SubscriptionResolver<ResolversTypes['Product'], "stockChanged", ParentType, ContextType, RequireFields<SubscriptionStockChangedArgs, 'productId'>>;
};

export type UserResolvers<ContextType = Context, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = {
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  nodeId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  orders?: Resolver<ResolversTypes['OrderConnection'], ParentType, ContextType, RequireFields<UserOrdersArgs, 'first'>>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type Resolvers<ContextType = Context> = {
  Category?: CategoryResolvers<ContextType>;
  CategoryChange?: CategoryChangeResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  InvalidationReport?: InvalidationReportResolvers<ContextType>;
  LoginPayload?: LoginPayloadResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Node?: NodeResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  OrderConnection?: OrderConnectionResolvers<ContextType>;
  OrderEdge?: OrderEdgeResolvers<ContextType>;
  OrderItem?: OrderItemResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  ProductConnection?: ProductConnectionResolvers<ContextType>;
  ProductEdge?: ProductEdgeResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Review?: ReviewResolvers<ContextType>;
  ReviewConnection?: ReviewConnectionResolvers<ContextType>;
  ReviewEdge?: ReviewEdgeResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = Context> = {
  cached?: CachedDirectiveResolver<any, any, ContextType>;
};
