// Misuse the types must refuse (each line fails to compile without its @ts-expect-error).
// Never run: everything is inside a function nobody calls.
import { CurrentUser, FerroAuthModule, JwtAuthGuard, Public, RequireStatus, Roles, Scopes } from 'ferroauth/nestjs';
import type { JwtAuthGuardOptions, UserPayload } from 'ferroauth/nestjs';

export function misuse(): void {
  // @ts-expect-error secret is a string, Buffer or KeyObject
  new JwtAuthGuard({ secret: 42 });
  // @ts-expect-error resolveStatus is a function
  new JwtAuthGuard({ secret: 's', resolveStatus: 'ACTIVE' });
  // @ts-expect-error getUserInfo receives a user id
  new JwtAuthGuard({ secret: 's', getUserInfo: (id: number) => ({ id }) });
  // @ts-expect-error scopes are strings
  Scopes(1);
  // @ts-expect-error roles are strings
  Roles(['admin']);
  // @ts-expect-error statuses are strings or numbers
  RequireStatus({ status: 'ACTIVE' });
  // @ts-expect-error @Public takes a boolean
  Public('yes');
  // @ts-expect-error forRootAsync needs useFactory
  FerroAuthModule.forRootAsync({ inject: [] });
  // @ts-expect-error canActivate may answer with a promise
  const allowed: boolean = new JwtAuthGuard().canActivate({} as never);

  // What must compile.
  const options: JwtAuthGuardOptions = {
    publicKey: '-----BEGIN PUBLIC KEY-----',
    algorithms: ['RS256'],
    cookie: 'access_token',
    isRevoked: async (payload) => payload.jti === 'revoked',
    getToken: (carrier: { headers: Record<string, string | undefined> }) => carrier.headers['x-token'],
    resolveStatus: (user: UserPayload) => user.claims.status,
  };
  const guard: JwtAuthGuard = new JwtAuthGuard(options);
  const decorator: ParameterDecorator = CurrentUser('roles');
  void guard, decorator, allowed;
}
