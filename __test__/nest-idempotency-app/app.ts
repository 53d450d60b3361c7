// NestJS apps for IdempotencyInterceptor: through DI with FerroAuthModule's store, and built
// with options of its own; @HttpCode, a handler returning a string, a thrown exception, and an
// app with a global exception filter. Compiled with `tsc --strict`, so it is the type test too.
import 'reflect-metadata';
import {
  ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  Controller,
  ExceptionFilter,
  Header,
  HttpCode,
  HttpException,
  Module,
  Post,
  Put,
  Type,
  UseInterceptors,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Response } from 'express';
import type { Store } from 'ferroauth';
import { CurrentUser, FerroAuthModule, IdempotencyInterceptor, JwtAuthGuard } from 'ferroauth/nestjs';
import type { FerroAuthModuleOptions, IdempotencyOptions, UserPayload } from 'ferroauth/nestjs';

export const SECRET = 'ferroauth-nest-idempotency-secret-0123456789';

/** Handler runs, by route; the tests read them. */
export const runs: Record<string, number> = {};
const count = (route: string) => (runs[route] = (runs[route] ?? 0) + 1);

/** /slow waits until the test opens the gate. */
export const gate = { open: () => {}, wait: Promise.resolve() };
export function closeGate() {
  gate.wait = new Promise<void>((resolve) => (gate.open = resolve));
}

@Controller()
@UseInterceptors(IdempotencyInterceptor)
export class OrdersController {
  @Post('orders')
  create(@Body() body: { item?: string }, @CurrentUser() user: UserPayload | undefined) {
    return { id: count('orders'), item: body.item ?? null, user: user?.userId ?? null };
  }

  @Put('orders')
  update(@Body() body: { item?: string }) {
    return { updated: count('orders'), item: body.item ?? null };
  }

  @Post('accepted')
  @HttpCode(202)
  @Header('X-Queue', 'main')
  accept() {
    return `accepted ${count('accepted')}`;
  }

  @Post('created')
  @HttpCode(201)
  created() {
    return { created: count('created') };
  }

  @Post('fail')
  fail() {
    throw new Error(`failure ${count('fail')}`);
  }

  @Post('invalid')
  invalid() {
    throw new BadRequestException(`invalid ${count('invalid')}`);
  }

  @Post('slow')
  async slow() {
    const n = count('slow');
    await gate.wait;
    return { slow: n };
  }
}

const strictOptions: IdempotencyOptions = { required: true, header: 'X-Request-Key', methods: ['POST'] };

@Controller('strict')
export class StrictController {
  @Post()
  @UseInterceptors(new IdempotencyInterceptor(strictOptions))
  create() {
    return { strict: count('strict') };
  }
}

/** The global filter of the second app: its own body shape and a header of its own. */
@Catch(HttpException)
export class ShapeFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost) {
    const response = host.switchToHttp().getResponse<Response>();
    response.status(exception.getStatus()).setHeader('X-Filtered', 'yes');
    response.json({ ok: false, status: exception.getStatus(), detail: exception.message });
  }
}

function appModule(options: FerroAuthModuleOptions, extraProviders: Array<{ provide: string; useClass: Type<unknown> }> = []) {
  @Module({
    imports: [FerroAuthModule.forRoot(options)],
    controllers: [OrdersController, StrictController],
    providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }, ...extraProviders],
  })
  class AppModule {}
  return AppModule;
}

/** The app, its records in `store` with a 10-minute ttl. */
export function buildAppModule(store: Store) {
  return appModule({ secret: SECRET, credentialsRequired: false, store, idempotency: { ttl: '10m' } });
}

/** The same app with a global exception filter. */
export function buildFilteredAppModule(store: Store) {
  return appModule({ secret: SECRET, credentialsRequired: false, store }, [{ provide: APP_FILTER, useClass: ShapeFilter }]);
}
