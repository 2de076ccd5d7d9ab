/**
 * What each GraphQL object type's resolvers receive as their parent (codegen's mappers point
 * here): MikroORM entities for the domain types, connection models for the lists.
 */
import type { Connection, Edge } from './common/connection';
import type { Category } from './category/category.entity';
import type { Product } from './product/product.entity';
import type { Review } from './review/review.entity';
import type { User } from './user/user.entity';
import type { Order, OrderItem } from './order/order.entity';

export type CategoryModel = Category;
export type ProductModel = Product;
export type ProductConnectionModel = Connection<Product>;
export type ProductEdgeModel = Edge<Product>;
export type ReviewModel = Review;
export type ReviewConnectionModel = Connection<Review>;
export type ReviewEdgeModel = Edge<Review>;
export type UserModel = User;
export type LoginPayloadModel = { user: User; token: string; expiresAt: Date };
export type OrderModel = Order;
export type OrderItemModel = OrderItem;
export type OrderConnectionModel = Connection<Order>;
export type OrderEdgeModel = Edge<Order>;
