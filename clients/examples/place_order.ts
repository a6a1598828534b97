/**
 * A customer's order from start to end with openapi-fetch and the API's types
 * (clients/typescript/src/schema.d.ts, from openapi-typescript): register and sign in, place an
 * order with an Idempotency-Key, wait for its payment to confirm it, read that payment (the card
 * authorized: the money is taken, and invoiced, as the order ships) and list the customer's orders. Type-checked with `tsc --noEmit --strict` (tests/clients/).
 *
 *     const placed = await placeOrder("http://127.0.0.1:8000", "you@example.com", "a long password");
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../typescript/src/schema";

type Order = components["schemas"]["Order"];
type OrderPage = components["schemas"]["OrderPage"];
type Payment = components["schemas"]["Payment"];
type Problem = components["schemas"]["Problem"];
type Api = Client<paths>;

export interface PlacedOrder {
  order: Order; // as confirmed
  payment: Payment; // authorized
  myOrders: OrderPage; // the first page of the customer's orders, newest first
}

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
  }
}

/** The answer's data, or ApiProblem with the problem+json the API sent. */
function expect<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data !== undefined) return answer.data;
  throw new ApiProblem(answer.error as Problem);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Register (or find the account there already) and sign in. */
async function signIn(baseUrl: string, email: string, password: string, name: string): Promise<Api> {
  const anonymous = createClient<paths>({ baseUrl });
  const registered = await anonymous.POST("/api/v1/auth/register", { body: { email, password, name } });
  if (registered.error && registered.response.status !== 409) throw new ApiProblem(registered.error);
  const tokens = expect(await anonymous.POST("/api/v1/auth/login", { body: { email, password } }));
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${tokens.access_token}` } });
}

/** The order once its payment has confirmed it (the saga takes it from pending_payment). */
async function waitUntilConfirmed(api: Api, orderId: string, timeoutMs: number): Promise<Order> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const order = expect(await api.GET("/api/v1/orders/{order_id}", { params: { path: { order_id: orderId } } }));
    if (order.status === "confirmed") return order;
    if (order.status !== "pending_payment" || Date.now() > deadline) {
      throw new Error(`order ${orderId} is ${order.status}, not confirmed`);
    }
    await pause(200);
  }
}

export async function placeOrder(baseUrl: string, email: string, password: string, timeoutMs = 30_000): Promise<PlacedOrder> {
  const api = await signIn(baseUrl, email, password, "Ada Lovelace");
  const products = expect(await api.GET("/api/v1/products", { params: { query: { in_stock: true, page_size: 1 } } }));
  const product = products.items[0];
  if (product === undefined) throw new Error("nothing in stock");
  // One key per order the customer means to place: sent again with the same key (after a
  // timeout, say), the request answers with the same order instead of placing a second one.
  const placed = expect(
    await api.POST("/api/v1/orders", {
      params: { header: { "Idempotency-Key": crypto.randomUUID() } },
      body: {
        items: [{ product_id: product.id, quantity: 1 }],
        shipping_address: {
          name: "Ada Lovelace",
          line1: "12 St James's Square",
          city: "London",
          postal_code: "SW1Y 4JH",
          country: "GB",
        },
        payment_token: "tok_visa",
      },
    }),
  );
  const order = await waitUntilConfirmed(api, placed.id, timeoutMs);
  const payment = expect(await api.GET("/api/v1/orders/{order_id}/payment", { params: { path: { order_id: placed.id } } }));
  const myOrders = expect(await api.GET("/api/v1/orders"));
  return { order, payment, myOrders };
}
