// The backend's services as the core lists them. The UI never assumes protocol v1's five: it says
// what an outage means by what each service is for (its roles), and names it by id where it has a
// translation, by the backend's own name otherwise.
import type { NamedService } from "./bindings/NamedService";
import type { ServiceHealth } from "./bindings/ServiceHealth";
import type { ServiceRole } from "./bindings/ServiceRole";

/** The first service for `role` that is down, if any. */
export function downFor(services: ServiceHealth, role: ServiceRole): NamedService | undefined {
  return services.find((s) => s.roles.includes(role) && s.status.state === "down");
}
