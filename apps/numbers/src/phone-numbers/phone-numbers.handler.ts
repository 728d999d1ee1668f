import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  DeleteNumberCommand,
  DeleteNumberResult,
  ImportNumberCommand,
  ListNumbersCommand,
  NumberRef,
  NumbersCommands,
  Page,
  PhoneNumberDto,
  ResolveNumberCommand,
  ResolvedNumber,
  UpdateNumberCommand,
} from '@nixflex/common';
import { NumberResolutionService } from './number-resolution.service';
import { PhoneNumbersService } from './phone-numbers.service';

@Controller()
export class PhoneNumbersHandler {
  constructor(
    private readonly numbers: PhoneNumbersService,
    private readonly resolution: NumberResolutionService,
  ) {}

  @MessagePattern(NumbersCommands.numbersImport)
  import(@Payload() cmd: ImportNumberCommand): Promise<PhoneNumberDto> {
    return this.numbers.import(cmd);
  }

  @MessagePattern(NumbersCommands.numbersList)
  list(@Payload() cmd: ListNumbersCommand): Promise<Page<PhoneNumberDto>> {
    return this.numbers.list(cmd);
  }

  @MessagePattern(NumbersCommands.numbersGet)
  get(@Payload() ref: NumberRef): Promise<PhoneNumberDto> {
    return this.numbers.get(ref);
  }

  @MessagePattern(NumbersCommands.numbersUpdate)
  update(@Payload() cmd: UpdateNumberCommand): Promise<PhoneNumberDto> {
    return this.numbers.update(cmd);
  }

  @MessagePattern(NumbersCommands.numbersDelete)
  delete(@Payload() cmd: DeleteNumberCommand): Promise<DeleteNumberResult> {
    return this.numbers.delete(cmd);
  }

  @MessagePattern(NumbersCommands.numbersResolve)
  resolve(@Payload() cmd: ResolveNumberCommand): Promise<ResolvedNumber> {
    return this.resolution.resolve(cmd.phone_number);
  }
}
