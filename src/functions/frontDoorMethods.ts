import type { HttpMethod } from "@azure/functions";

/**
 * The methods a front door's catch-all route takes, so that a method a route does not serve gets
 * the API's own 405 with the route's `Allow` rather than the host's (which names the function's
 * methods). Not TRACE: @azure/functions cannot build a request for it (undici refuses the
 * method), so it would fail as a 500; the host refuses it instead.
 */
export const FRONT_DOOR_METHODS: HttpMethod[] = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"];
